"""Pieces every API router shares: the error bodies and the page parameters."""

from __future__ import annotations

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

# Larger offsets overflow the database's integer (a 500 instead of a 422).
MAX_OFFSET = 2**31 - 1


class ErrorOut(Schema):
    """Every error answer: what went wrong, in a sentence."""

    detail: str = Field(..., examples=["No artist with id, slug or Ticketmaster id 'nobody'"])


class ValidationProblem(Schema):
    """One invalid input: where (`["body", "tm_attraction_id"]`), what, and its kind."""

    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(Schema):
    """A 422: `detail` names each invalid input in one line, `errors` lists them."""

    detail: str = Field(
        ...,
        examples=["tm_attraction_id: tm_attraction_id '' is not a Ticketmaster attraction id"],
    )
    errors: list[ValidationProblem] = []


class LimitOffset(LimitOffsetPagination):
    """ninja's limit/offset pages (`limit` up to NINJA_PAGINATION_MAX_LIMIT) with a
    bounded offset; answers `{"items": [...], "count": total}`."""

    class Input(LimitOffsetPagination.Input):
        offset: int = Field(0, ge=0, le=MAX_OFFSET)
