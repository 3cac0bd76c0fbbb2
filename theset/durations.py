"""Durations as operators write them in the environment (pure; settings use it)."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """'90s', '30m', '24h', '7d' or plain seconds ('3600') as a timedelta."""
    match = _DURATION.fullmatch(str(text))
    if not match:
        raise ValueError(f"{text!r} is not a duration such as 90s, 30m, 24h or 7d")
    return timedelta(seconds=float(match[1]) * _UNIT_SECONDS[match[2]])
