"""Small pure helpers for the English the project writes (progress messages, CLI lines)."""

from __future__ import annotations


def format_duration(duration_ms: int) -> str:
    """Minutes and seconds, as track lists show them: 3:07, 12:45, 61:02."""
    minutes, seconds = divmod(round(duration_ms / 1000), 60)
    return f"{minutes}:{seconds:02d}"


def count_noun(count: int, noun: str, plural: str | None = None) -> str:
    """`count` and `noun` agreeing in number: "1 album", "0 albums", "2 albums".

    The plural is `noun` + "s" unless `plural` names it ("1 album or single",
    "3 albums and singles")."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {plural if plural is not None else f'{noun}s'}"
