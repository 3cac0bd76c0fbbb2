"""Word lists, places, labels and markets the generated names and records draw from."""

from __future__ import annotations

MARKETS = ("GB", "DE", "SE", "JP", "CA", "FR", "BR", "IS", "MX", "AU")
ISRC_COUNTRIES = ("US", "GB", "SE", "DE", "IS", "JP", "FR", "CA")

ADJECTIVES = (
    "Golden", "Broken", "Silent", "Electric", "Hollow", "Paper", "Crimson", "Velvet",
    "Northern", "Distant", "Restless", "Quiet", "Neon", "Wild", "Burning", "Frozen",
    "Lonely", "Secret", "Glass", "Silver", "Midnight", "Endless", "Faded", "Bitter",
    "Sweet", "Heavy", "Falling", "Crooked", "Little", "Holy", "Savage", "Tender",
    "Open", "Empty", "Hidden", "Borrowed", "Wandering", "Painted", "Shallow", "Sleepless",
)  # fmt: skip
NOUNS = (
    "Heart", "River", "Highway", "Summer", "Window", "Ghost", "Harbor", "Garden",
    "Signal", "Mirror", "Engine", "Island", "Letter", "Thunder", "Shadow", "Morning",
    "Fever", "Ocean", "Machine", "Canyon", "Lantern", "Season", "Kingdom", "Stranger",
    "Feather", "Compass", "Avenue", "Satellite", "Horizon", "Echo", "Orchard", "Valley",
    "Diamond", "Promise", "Station", "Carnival", "Anthem", "Comet", "Bridge", "Wolf",
)  # fmt: skip
VERBS = (
    "Carry", "Follow", "Hold", "Chase", "Remember", "Burn", "Break", "Leave",
    "Find", "Wake", "Call", "Save", "Dance", "Run", "Hide", "Believe",
)  # fmt: skip
ADVERBS = ("Away", "Tonight", "Again", "Slowly", "Home", "Alone", "Together", "Down")
NON_ASCII_TITLES = (
    "Sól", "Nacht über München", "Mañana", "Für immer", "Ångest", "Tōkyō Rain",
    "夜明けの歌", "東京の雨", "Smörgåsbord", "Crème de la Crème", "Naïve", "Þögn",
    "Jökull", "Mørketid", "Ça ira", "Sœur", "Größenwahn", "Čaj", "Niño", "雪の街",
)  # fmt: skip
NON_ASCII_PHRASES = (
    "Nordlicht über Tromsø", "Été Indien", "Mørk Jord", "Kōfuku", "夏の終わり", "Straße der Träume",
    "Canción del Sur", "Öresund", "Ísland", "Château Noir",
)  # fmt: skip
REMIXERS = ("Lumen Drift", "Kōji Ōta", "Mørk Sjø", "DJ Halcyon", "Neon Cartel", "Señor Búho")
TOUR_WORDS = ("World", "Summer", "Farewell", "Anniversary", "Homecoming", "Arena")
# The built-in headliners' support acts (see `lineups`). None can be a generated
# artist's name: those never end in a plural noun nor are one word ("Glass
# Harbor" could be, so the support act spells it the British way).
SUPPORT_ACTS = ("The Lanterns", "Sjöberg", "Paper Comets", "Noémie", "Glass Harbour")
# First names of generated solo support acts ("Noémie Brandt").
FIRST_NAMES = (
    "Noémie", "Ingrid", "Tomás", "Aoife", "Kenji", "Maren", "Dario", "Liesel",
    "Oskar", "Priya", "Solveig", "Mateo", "Yuki", "Céline", "Rasmus", "Zofia",
)  # fmt: skip
FESTIVAL_WORDS = (
    "Northern", "Harbor", "Lantern", "Velvet", "Solstice", "Riverside", "Midnight",
    "Aurora", "Meadow", "Tidal", "Echo", "Canyon", "Wildflower", "Skyline", "Ember", "Fjord",
)  # fmt: skip

# (city, state, state_code, country_code, timezone, latitude, longitude)
CITIES: tuple[tuple[str, str | None, str | None, str, str, float, float], ...] = (
    ("Austin", "Texas", "TX", "US", "America/Chicago", 30.2672, -97.7431),
    ("New York", "New York", "NY", "US", "America/New_York", 40.7128, -74.006),
    ("Los Angeles", "California", "CA", "US", "America/Los_Angeles", 34.0522, -118.2437),
    ("Chicago", "Illinois", "IL", "US", "America/Chicago", 41.8781, -87.6298),
    ("Denver", "Colorado", "CO", "US", "America/Denver", 39.7392, -104.9903),
    ("Seattle", "Washington", "WA", "US", "America/Los_Angeles", 47.6062, -122.3321),
    ("Nashville", "Tennessee", "TN", "US", "America/Chicago", 36.1627, -86.7816),
    ("Atlanta", "Georgia", "GA", "US", "America/New_York", 33.749, -84.388),
    ("Boston", "Massachusetts", "MA", "US", "America/New_York", 42.3601, -71.0589),
    ("Phoenix", "Arizona", "AZ", "US", "America/Phoenix", 33.4484, -112.074),
    ("Minneapolis", "Minnesota", "MN", "US", "America/Chicago", 44.9778, -93.265),
    ("Detroit", "Michigan", "MI", "US", "America/Detroit", 42.3314, -83.0458),
    ("Salt Lake City", "Utah", "UT", "US", "America/Denver", 40.7608, -111.891),
    ("Honolulu", "Hawaii", "HI", "US", "Pacific/Honolulu", 21.3069, -157.8583),
    ("Anchorage", "Alaska", "AK", "US", "America/Anchorage", 61.2181, -149.9003),
    ("Toronto", "Ontario", "ON", "CA", "America/Toronto", 43.6532, -79.3832),
    ("Montréal", "Quebec", "QC", "CA", "America/Toronto", 45.5017, -73.5673),
    ("Vancouver", "British Columbia", "BC", "CA", "America/Vancouver", 49.2827, -123.1207),
    ("London", None, None, "GB", "Europe/London", 51.5072, -0.1276),
    ("Manchester", None, None, "GB", "Europe/London", 53.4808, -2.2426),
    ("Glasgow", None, None, "GB", "Europe/London", 55.8642, -4.2518),
    ("Dublin", None, None, "IE", "Europe/Dublin", 53.3498, -6.2603),
    ("Berlin", None, None, "DE", "Europe/Berlin", 52.52, 13.405),
    ("München", None, None, "DE", "Europe/Berlin", 48.1351, 11.582),
    ("Köln", None, None, "DE", "Europe/Berlin", 50.9375, 6.9603),
    ("Paris", None, None, "FR", "Europe/Paris", 48.8566, 2.3522),
    ("Amsterdam", None, None, "NL", "Europe/Amsterdam", 52.3676, 4.9041),
    ("Stockholm", None, None, "SE", "Europe/Stockholm", 59.3293, 18.0686),
    ("Malmö", None, None, "SE", "Europe/Stockholm", 55.605, 13.0038),
    ("Oslo", None, None, "NO", "Europe/Oslo", 59.9139, 10.7522),
    ("København", None, None, "DK", "Europe/Copenhagen", 55.6761, 12.5683),
    ("Reykjavík", None, None, "IS", "Atlantic/Reykjavik", 64.1466, -21.9426),
    ("Zürich", None, None, "CH", "Europe/Zurich", 47.3769, 8.5417),
    ("Wien", None, None, "AT", "Europe/Vienna", 48.2082, 16.3738),
    ("Kraków", None, None, "PL", "Europe/Warsaw", 50.0647, 19.945),
    ("Barcelona", None, None, "ES", "Europe/Madrid", 41.3874, 2.1686),
    ("Ciudad de México", None, None, "MX", "America/Mexico_City", 19.4326, -99.1332),
    ("São Paulo", None, None, "BR", "America/Sao_Paulo", -23.5558, -46.6396),
    ("Tokyo", None, None, "JP", "Asia/Tokyo", 35.6762, 139.6503),
    ("Ōsaka", None, None, "JP", "Asia/Tokyo", 34.6937, 135.5023),
    ("Sydney", "New South Wales", "NSW", "AU", "Australia/Sydney", -33.8688, 151.2093),
    ("Melbourne", "Victoria", "VIC", "AU", "Australia/Melbourne", -37.8136, 144.9631),
    ("Auckland", None, None, "NZ", "Pacific/Auckland", -36.8485, 174.7633),
)  # fmt: skip
COUNTRY_NAMES = {
    "US": "United States Of America",
    "CA": "Canada",
    "GB": "Great Britain",
    "IE": "Ireland",
    "DE": "Germany",
    "FR": "France",
    "NL": "Netherlands",
    "SE": "Sweden",
    "NO": "Norway",
    "DK": "Denmark",
    "IS": "Iceland",
    "CH": "Switzerland",
    "AT": "Austria",
    "PL": "Poland",
    "ES": "Spain",
    "MX": "Mexico",
    "BR": "Brazil",
    "JP": "Japan",
    "AU": "Australia",
    "NZ": "New Zealand",
}
SURNAMES = (
    "Fairmont", "Hartley", "Okonkwo", "Nakamura", "Lindqvist", "Müller", "Østergaard",
    "Dvořák", "Peña", "Coleman", "Ashby", "Marlow", "Brandt", "Sørensen", "Kowalczyk",
    "Delacroix", "Whitfield", "Castellanos",
)  # fmt: skip
VENUE_FORMS: tuple[str, ...] = (
    "{city} Arena", "{surname} Theatre", "The {adj} Room", "{city} Music Hall",
    "{surname} Amphitheater", "{surname} Ballroom", "{city} Civic Center", "{surname} Hall",
    "Théâtre {surname}", "Sala {surname}", "{surname}-Halle", "{adj} Stage", "Club {noun}",
)  # fmt: skip
LABELS = ("Sandbox Records", "Nordlys Musik", "Crooked Lantern", "Éditions Sœur")
STREETS = ("Main St", "Congress Ave", "Broadway", "Hauptstraße", "Rue de Rivoli", "Kungsgatan")
