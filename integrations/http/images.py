"""Picking the image to show from a provider's list of images."""

from __future__ import annotations

from typing import Any

from integrations.http.readers import URL_MAX_LENGTH


def best_image_url(images: Any, *, preferred_ratio: str | None = None) -> str:
    """The URL of the widest image, among those of `preferred_ratio` when there are any;
    "" when there is none. Images are only shown, so odd entries (no URL, a URL too
    long or holding NUL) are passed over rather than refused."""
    if not isinstance(images, list):
        return ""
    candidates = [
        image
        for image in images
        if isinstance(image, dict)
        and isinstance(image.get("url"), str)
        and 0 < len(image["url"]) <= URL_MAX_LENGTH
        and "\x00" not in image["url"]
    ]
    if not candidates:
        return ""
    preferred = [
        image
        for image in candidates
        if preferred_ratio is not None and image.get("ratio") == preferred_ratio
    ]
    return max(preferred or candidates, key=_width)["url"]


def _width(image: dict[str, Any]) -> float:
    value = image.get("width")
    return value if isinstance(value, int | float) and not isinstance(value, bool) else 0
