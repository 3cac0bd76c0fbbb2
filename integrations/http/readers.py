"""Typed readers of decoded JSON answers.

Clients read decoded JSON through these: a value of the documented type comes back
(display text cleaned for storage), anything else raises `MalformedAnswer` naming
the field by its path in the answer, e.g. `page.totalElements`.
"""

from __future__ import annotations

import math
from typing import Any

from integrations.http.errors import MalformedAnswer


def json_kind(value: Any) -> str:
    """What a decoded JSON value is, for messages: `the string 'abc'`, `an array`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:40] + "…"
        return f"the string {shown!r}"  # repr: control characters stay visible, NUL too
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def field_path(where: str, name: str | int) -> str:
    if isinstance(name, int):
        return f"{where}[{name}]"
    return f"{where}.{name}" if where else name


_ABSENT = object()
# The URL columns (show, ticket and image URLs) hold this much; a cut URL leads nowhere.
URL_MAX_LENGTH = 1000


def read_object(value: Any, where: str) -> dict[str, Any]:
    """`value` itself, which must be a JSON object."""
    if not isinstance(value, dict):
        raise MalformedAnswer(where or "answer", f"expected an object, got {json_kind(value)}")
    return value


def read_optional_object(container: dict[str, Any], name: str, where: str) -> dict[str, Any]:
    """The object `container[name]`; `{}` when it is absent or null."""
    value = container.get(name)
    return {} if value is None else read_object(value, field_path(where, name))


def read_list(
    container: dict[str, Any], name: str, where: str, *, required: bool = False
) -> list[Any]:
    """The array `container[name]`; `[]` when absent or null, unless `required`."""
    value = container.get(name)
    if value is None and not required:
        return []
    if not isinstance(value, list):
        raise MalformedAnswer(field_path(where, name), f"expected an array, got {json_kind(value)}")
    return value


def read_int(
    container: dict[str, Any],
    name: str,
    where: str,
    *,
    default: Any = _ABSENT,
    minimum: int | None = None,
    maximum: int | None = None,
) -> Any:
    """The integer `container[name]` (`2.0` counts, `true` does not), within the bounds;
    `default` when absent or null, if one is given."""
    value = container.get(name)
    path = field_path(where, name)
    if value is None:
        if default is _ABSENT:
            raise MalformedAnswer(path, "missing (expected an integer)")
        return default
    if isinstance(value, float) and value.is_integer() and math.isfinite(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedAnswer(path, f"expected an integer, got {json_kind(value)}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        bounds = f"from {minimum}" if maximum is None else f"from {minimum} to {maximum}"
        raise MalformedAnswer(path, f"expected an integer {bounds}, got {value}")
    return value


def read_number(
    container: dict[str, Any], name: str, where: str, *, minimum: float, maximum: float
) -> float | None:
    """The finite number `container[name]` within the bounds; None when absent or null."""
    value = container.get(name)
    if value is None:
        return None
    path = field_path(where, name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise MalformedAnswer(path, f"expected a number, got {json_kind(value)}")
    if not minimum <= value <= maximum:
        raise MalformedAnswer(path, f"expected a number from {minimum} to {maximum}, got {value}")
    return float(value)


def read_bool(container: dict[str, Any], name: str, where: str) -> bool:
    """The boolean `container[name]`; False when absent or null."""
    value = container.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise MalformedAnswer(
            field_path(where, name), f"expected a boolean, got {json_kind(value)}"
        )
    return value


def read_id(value: Any, where: str, *, max_length: int) -> str:
    """An upstream id: a non-empty string of printable characters without spaces, at
    most `max_length` long (it becomes a natural key and a URL segment)."""
    if not isinstance(value, str) or not value:
        raise MalformedAnswer(where, f"expected an id, got {json_kind(value)}")
    if len(value) > max_length or not value.isprintable() or any(c.isspace() for c in value):
        raise MalformedAnswer(
            where,
            f"expected an id of at most {max_length} printable characters without spaces, "
            f"got {json_kind(value)}",
        )
    return value


def read_text(container: dict[str, Any], name: str, where: str, *, max_length: int) -> str:
    """Display text `container[name]`: "" when absent or null; surrounding spaces and
    NUL characters (which PostgreSQL cannot store) removed; cut to `max_length`."""
    value = container.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MalformedAnswer(field_path(where, name), f"expected a string, got {json_kind(value)}")
    return value.replace("\x00", "").strip()[:max_length].strip()


def read_url(container: dict[str, Any], name: str, where: str) -> str:
    """The URL `container[name]`, cleaned as `read_text`; "" when absent, null or longer
    than `URL_MAX_LENGTH` (cut, it would lead nowhere)."""
    url = read_text(container, name, where, max_length=URL_MAX_LENGTH + 1)
    return url if len(url) <= URL_MAX_LENGTH else ""
