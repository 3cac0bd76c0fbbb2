"""Another process of the service, read from outside it: the database connections it holds
(by its PGAPPNAME on PostgreSQL, by its open descriptors on SQLite). The load test, the
crash tests and bench/streams.py use it."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from django.db import connection


def _backends(select: str, application_name: str) -> int:
    """`select` over the PostgreSQL connections of this database whose
    application_name (the process's PGAPPNAME) is `application_name`."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {select} FROM pg_stat_activity"
            " WHERE application_name = %s AND datname = current_database()",
            [application_name],
        )
        return cursor.fetchone()[0]


def terminate_backends(application_name: str) -> int:
    """pg_terminate_backend of every connection the process has open; how many there were."""
    return _backends("count(pg_terminate_backend(pid))", application_name)


def open_files(pid: int, path: str) -> int:
    """How many of the process's file descriptors are `path`."""
    opened = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):  # closed meanwhile
            opened += os.readlink(fd) == path
    return opened


def sqlite_database() -> str:
    return os.path.realpath(connection.settings_dict["NAME"])


def database_connections(application_name: str, pid: int) -> Callable[[], int]:
    """How many database connections the process `pid` (started with PGAPPNAME
    `application_name`) holds now."""
    if connection.vendor == "postgresql":
        return lambda: _backends("count(*)", application_name)
    # SQLite (WAL): each open connection has the -wal file open, and closes it with the
    # connection. The database file itself is no count: while another connection of the
    # process holds a lock on it (in WAL mode, any open one), SQLite keeps a closed
    # connection's descriptor of it open for reuse, so those add up to the most
    # connections ever open at once.
    wal = f"{sqlite_database()}-wal"
    return lambda: open_files(pid, wal)
