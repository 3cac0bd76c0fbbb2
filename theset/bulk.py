"""Bulk upserts from value tuples: `INSERT … ON CONFLICT (key) DO UPDATE`, as Django's
`bulk_create(update_conflicts=True)` writes it, without a model instance per row.

`bulk_create` builds a model instance for every row and compiles every value through
the field's `pre_save` / `get_db_prep_save` and the insert compiler; for the thousands
of rows an import writes that is most of its CPU (`bench/README.md`). Here each column's
conversion is decided once: plain values (text, numbers, booleans, keys) go to the
driver as they are; the others (dates and times, JSON, decimals) through the field's
own `get_db_prep_save`. Columns left out get what `bulk_create` would give them: the
field's default, or now for `auto_now` / `auto_now_add`.

On SQLite the statement is the one `bulk_create` sends, one row's statement run for
every row (`executemany`, stepped in C). On PostgreSQL the rows go as one array per
column, `INSERT … SELECT … FROM unnest(%b::type[], …) WITH ORDINALITY … ORDER BY`:
a statement of a few parameters, bound by the server in binary, the same text for
every call. `VALUES` lists of thousands of placeholders cost psycopg a parse of the
statement's text on every call and a literal per value, and were the largest share of
a cluster's bulk writes (`bench/README.md`). Either way rows go
in the order given (callers sort them in key order, the deadlock rule).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any

import psycopg
from django.db import connections, models, router
from django.utils import timezone

# Fields whose Python values the drivers take as they are (None included).
PLAIN_TYPES = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "FloatField",
        "ForeignKey",
        "IntegerField",
        "OneToOneField",
        "PositiveBigIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SlugField",
        "SmallIntegerField",
        "TextField",
        "URLField",
    }
)
# The position of a row in the arrays PostgreSQL is given (a name no model's column has).
ORDINAL = '"bulk_upsert_ordinal"'
_MODIFIER = re.compile(r"\(.*?\)")


def row_of(fields: Sequence[str], **values: Any) -> tuple:
    """`values` as a row of `fields`, in their order: rows are built by field name, so a
    field added to a list of fields cannot shift the values (every field given, no other)."""
    if values.keys() != set(fields):
        raise ValueError(f"a row of {list(fields)} was given {sorted(values)}")
    return tuple(values[name] for name in fields)


def bulk_upsert(
    model: type[models.Model],
    rows: Iterable[Sequence[Any]],
    *,
    fields: Sequence[str],
    unique_fields: Sequence[str] = (),
    update_fields: Sequence[str] = (),
) -> int:
    """Insert `rows` (tuples of the values of `fields`, by field name or attname) into
    `model`'s table; a row whose `unique_fields` match a stored one updates that row's
    `update_fields` instead (none: the stored row is kept). Returns the rows sent."""
    rows = list(rows)
    if not rows:
        return 0
    connection = connections[router.db_for_write(model)]
    meta = model._meta
    given = [meta.get_field(name) for name in fields]
    missing = [
        field
        for field in meta.concrete_fields
        if field not in given and not field.primary_key and not field.generated
    ]
    now = timezone.now()
    # What the rows leave out is the same for every row: converted once.
    filled = tuple(_prepared(field, _default(field, now), connection) for field in missing)
    columns = [*given, *missing]
    converted = [
        (column, convert)
        for column, field in enumerate(given)
        if (convert := _converter(field, connection)) is not None
    ]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    names = ", ".join(quote(field.column) for field in columns)
    tail = _conflict_clause(meta, unique_fields, update_fields, quote)
    if connection.vendor == "sqlite":
        # One statement, prepared once and stepped per row in C: the fastest way in.
        values = [_row_params(row, converted, filled) for row in rows]
        row_sql = f"({', '.join(['%s'] * len(columns))})"
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES {row_sql}{tail}", values)
        return len(rows)
    # PostgreSQL: an array per given column, what every row leaves out once, all bound in
    # binary (the module's docstring says why).
    converted += [
        (column, _as_float)
        for column, field in enumerate(given)
        if field.get_internal_type() == "FloatField"
    ]
    values = [_row_params(row, converted, ()) for row in rows]
    given_names = ", ".join(quote(field.column) for field in given)
    arrays = ", ".join(f"%b::{_base_type(field, connection)}[]" for field in given)
    once = "".join(f", %b::{_base_type(field, connection)}" for field in missing)
    with _binary_cursor(connection) as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {given_names}{once} "
            f"FROM unnest({arrays}) WITH ORDINALITY AS given ({given_names}, {ORDINAL}) "
            f"ORDER BY {ORDINAL}{tail}",
            [*filled, *(list(column) for column in zip(*values, strict=True))],
        )
    return len(rows)


@contextmanager
def _binary_cursor(connection) -> Iterator[Any]:
    """A cursor of `connection` (PostgreSQL) whose parameters are bound by the server,
    `%b` ones in binary. Django's own cursors bind on the client: every parameter is
    rendered into the statement's text, an array element by element through psycopg's
    escaping in Python (ten times the CPU of binary for 2,000 rows with JSON). Wrapped as
    Django wraps its own: errors, `execute_wrapper`s and the query log apply."""
    # What Django's own `cursor()` does first: a connection the server dropped is
    # replaced (`CONN_HEALTH_CHECKS`), and the connection is this thread's.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        raw = psycopg.Cursor(connection.connection)
    wrap = connection.make_debug_cursor if connection.queries_logged else connection.make_cursor
    with wrap(raw) as cursor:
        yield cursor


def _base_type(field: models.Field, connection) -> str:
    """The column's type without its modifier (`varchar(200)`: `varchar`): the arrays
    carry the values as given, and the insert itself holds them to the column's type, as
    an insert of `VALUES` would (a value too long is refused, not cut)."""
    return _MODIFIER.sub("", field.db_type(connection))


def _as_float(value: Any) -> Any:
    # A float column's values may come as ints (JSON's 1 for 1.0); an array is of one type.
    return value if value is None else float(value)


def _row_params(row: Sequence[Any], converted, filled: tuple) -> tuple:
    if converted:
        row = list(row)
        for column, convert in converted:
            row[column] = convert(row[column])
    return (*row, *filled)


def _default(field: models.Field, now: Any) -> Any:
    """What `bulk_create` writes for a field its rows leave out."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    return field.get_default()


def _prepared(field: models.Field, value: Any, connection) -> Any:
    convert = _converter(field, connection)
    return value if convert is None else convert(value)


def _converter(field: models.Field, connection) -> Callable[[Any], Any] | None:
    """How a column's values become parameters: None when they go as they are. Values
    that repeat (a sync's timestamp, a date) are converted once each."""
    if field.get_internal_type() in PLAIN_TYPES:
        return None
    prepare = partial(field.get_db_prep_save, connection=connection)
    seen: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            seen[value] = prepared = prepare(value)
            return prepared
        except TypeError:  # unhashable (JSON)
            return prepare(value)

    return convert


def _conflict_clause(
    meta, unique_fields: Sequence[str], update_fields: Sequence[str], quote
) -> str:
    if not unique_fields:
        return ""
    keys = ", ".join(quote(meta.get_field(name).column) for name in unique_fields)
    if not update_fields:
        return f" ON CONFLICT ({keys}) DO NOTHING"
    updates = ", ".join(
        f"{quote(column)} = EXCLUDED.{quote(column)}"
        for column in (meta.get_field(name).column for name in update_fields)
    )
    return f" ON CONFLICT ({keys}) DO UPDATE SET {updates}"
