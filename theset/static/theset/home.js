// `/`, the artist index (templates/site/home.html).
// A portrait that fails to load leaves the initial in its place.
for (const img of document.querySelectorAll(".thumb img")) {
  if (img.complete && img.naturalWidth === 0) img.remove();
  else img.addEventListener("error", () => img.remove(), { once: true });
}
