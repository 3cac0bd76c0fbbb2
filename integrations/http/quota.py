"""The quota ledger: where each upstream key stands against its budget, shared by every
process that uses the key (through Redis when `REDIS_URL` is set, otherwise through a
SQLite file, `QUOTA_LEDGER_FILE`, which covers the processes of one machine).

It is fed by the answers: Ticketmaster's `Rate-Limit`, `Rate-Limit-Available` and
`Rate-Limit-Reset` on every success, and every refusal (a spent quota, a `Retry-After`).
Before each request a client asks it whether the key may be used now (`hold_for`): a
spent quota or a long wait parks the phase instead of sending a request that cannot
succeed. The rules are pure functions of a `QuotaState`; the ledger only stores it.
"""

from __future__ import annotations

import enum
import json
import math
import sqlite3
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import structlog
from django.conf import settings

log = structlog.get_logger(__name__)

# Two answers of one quota window give the same reset time; a later answer whose reset
# is later than this by more than this is a new window.
SAME_WINDOW_SECONDS = 1.0
# The longest wait the ledger believes: a reset or a Retry-After further ahead (a day's
# quota resets within one; Spotify has asked for about 20 hours) is taken as this, so
# a garbled header cannot block a key for years.
LONGEST_WAIT_SECONDS = 2 * 86_400.0


class HoldReason(enum.StrEnum):
    QUOTA = "quota"  # the window's budget is spent: nothing helps before it resets
    RESERVE = "reserve"  # what is left is kept for imports people start
    RETRY_AFTER = "retry_after"  # the upstream asked for a wait (Spotify's Retry-After)


@dataclass(frozen=True, slots=True)
class QuotaState:
    """Where one key stands. Times are epoch seconds; None is "not known"."""

    limit: int | None = None
    available: int | None = None
    reset_at: float | None = None  # when the window's full budget is back
    blocked_until: float | None = None  # a refusal said: nothing before then
    blocked_by: str = ""  # HoldReason of that refusal
    observed_at: float | None = None  # the last answer that fed the ledger
    refusals: int = 0  # refusals recorded (quota or long waits), for /metrics

    @classmethod
    def from_json(cls, text: str | bytes | None) -> QuotaState:
        if not text:
            return cls()
        try:
            data = json.loads(text)
            return cls(**{name: data[name] for name in cls.__slots__ if name in data})
        except (ValueError, TypeError):
            return cls()  # unreadable (an older layout): start over, answers refill it

    def to_json(self) -> str:
        return json.dumps(asdict(self))


@dataclass(frozen=True, slots=True)
class QuotaObservation:
    """What one answer says of its key's quota: `available` of `limit` until `reset_at`."""

    limit: int
    available: int
    reset_at: float  # epoch seconds


# Reads an answer's quota headers; each provider that sends them brings its own.
QuotaReader = Callable[[Any], QuotaObservation | None]


@dataclass(frozen=True, slots=True)
class Hold:
    """Requests with this key must wait until `until` (epoch seconds), for `reason`."""

    until: float
    reason: HoldReason


def observed(
    state: QuotaState, *, limit: int, available: int, reset_at: float, now: float
) -> QuotaState:
    """The state after an answer saying `available` of `limit` are left until `reset_at`.

    Answers arrive out of order: within one window the lowest `available` wins; an
    answer of an earlier window changes nothing; a later window replaces the count and
    lifts a quota block that ended with the old window. A reset that is not a time
    within LONGEST_WAIT_SECONDS is not believed: the answer changes nothing."""
    if not math.isfinite(reset_at) or reset_at > now + LONGEST_WAIT_SECONDS:
        return state
    if state.reset_at is not None and reset_at < state.reset_at - SAME_WINDOW_SECONDS:
        return state  # a late answer of a window already over
    if state.reset_at is None or reset_at > state.reset_at + SAME_WINDOW_SECONDS:
        state = replace(state, limit=limit, available=available, reset_at=reset_at)
        if state.blocked_by == HoldReason.QUOTA and (state.blocked_until or 0) <= now:
            state = replace(state, blocked_until=None, blocked_by="")
    else:
        lowest = available if state.available is None else min(state.available, available)
        state = replace(state, limit=limit, available=lowest)
    return replace(state, observed_at=now)


def refused(
    state: QuotaState,
    *,
    reason: HoldReason,
    retry_after: float | None,
    now: float,
    default_wait: float,
) -> QuotaState:
    """The state after a refusal: a spent quota blocks until the window's known reset
    (else `retry_after`, else `default_wait`); a `Retry-After` blocks for its length.
    A block never shortens one already recorded, and lasts LONGEST_WAIT_SECONDS at most."""
    if retry_after is not None and not math.isfinite(retry_after):
        retry_after = None
    if reason == HoldReason.QUOTA:
        if state.reset_at is not None and state.reset_at > now:
            until = state.reset_at
        else:
            until = now + (retry_after if retry_after is not None else default_wait)
        state = replace(state, available=0)
    else:
        until = now + (retry_after if retry_after is not None else default_wait)
    until = min(until, now + LONGEST_WAIT_SECONDS)
    if state.blocked_until is not None and state.blocked_until > until:
        until, reason = state.blocked_until, HoldReason(state.blocked_by or reason)
    return replace(
        state,
        blocked_until=until,
        blocked_by=reason.value,
        observed_at=now,
        refusals=state.refusals + 1,
    )


def taken(state: QuotaState, *, now: float) -> QuotaState:
    """The state after one request is let go: the window's known count less one (its
    answer will say the same, or less if others spent too). Unchanged when the count is
    not known (no answer yet, a window over): nothing to count down."""
    if state.available is None or state.reset_at is None or state.reset_at <= now:
        return state
    return replace(state, available=max(0, state.available - 1))


def returned(state: QuotaState, *, now: float) -> QuotaState:
    """The state after a request taken was refused as too fast: the upstream did not
    count it (a spike arrest is not a request served), so neither does the ledger."""
    if state.available is None or state.reset_at is None or state.reset_at <= now:
        return state
    top = state.limit if state.limit is not None else state.available + 1
    return replace(state, available=min(top, state.available + 1))


def reserve_floor(limit: int | None, share: float) -> int:
    """How many of a window's `limit` requests a reserve of `share` (0 to 1) keeps."""
    if not limit or share <= 0:
        return 0
    return math.ceil(limit * min(share, 1.0))


def hold_for(state: QuotaState, *, now: float, reserve_share: float = 0.0) -> Hold | None:
    """Whether a request may go now: None, or until when and why it must not. With a
    `reserve_share`, the last share of the window's budget counts as spent."""
    holds: list[Hold] = []
    if state.blocked_until is not None and state.blocked_until > now:
        holds.append(Hold(state.blocked_until, HoldReason(state.blocked_by or "retry_after")))
    if state.available is not None and state.reset_at is not None and state.reset_at > now:
        if state.available <= 0:
            holds.append(Hold(state.reset_at, HoldReason.QUOTA))
        elif state.available <= reserve_floor(state.limit, reserve_share):
            holds.append(Hold(state.reset_at, HoldReason.RESERVE))
    return max(holds, key=lambda hold: hold.until) if holds else None


def spendable(state: QuotaState, *, now: float, reserve_share: float) -> int | None:
    """Requests left in the window above the reserve; None when the ledger does not know
    (no answer yet, or the window it knows is over: a full budget is back)."""
    hold = hold_for(state, now=now)
    if hold is not None and hold.reason == HoldReason.QUOTA:
        return 0
    if state.available is None or state.reset_at is None or state.reset_at <= now:
        return None
    return max(0, state.available - reserve_floor(state.limit, reserve_share))


@dataclass(frozen=True, slots=True)
class QuotaReport:
    """One key's standing, for /metrics and /health."""

    name: str
    limit: int | None
    available: int | None
    used: int | None
    reset_at: float | None
    blocked_until: float | None
    blocked_by: str
    refusals: int


def report(name: str, state: QuotaState, *, now: float) -> QuotaReport:
    """What to tell operators of `state`: a window that is over has its budget back."""
    over = state.reset_at is not None and state.reset_at <= now
    available = state.limit if over else state.available
    used = None if state.limit is None or available is None else max(0, state.limit - available)
    blocked = state.blocked_until if (state.blocked_until or 0) > now else None
    return QuotaReport(
        name=name,
        limit=state.limit,
        available=available,
        used=used,
        reset_at=None if over else state.reset_at,
        blocked_until=blocked,
        blocked_by=state.blocked_by if blocked else "",
        refusals=state.refusals,
    )


# --- Storage -------------------------------------------------------------------------


class _FileStore:
    """States in a SQLite file; a write is read-modify-write inside `BEGIN IMMEDIATE`."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._ready = False

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self._path, timeout=10, isolation_level=None)
        # WAL with NORMAL sync: a commit does not wait for the disk (a power cut may lose
        # the last answers' figures, which the next answers give again).
        db.execute("PRAGMA synchronous=NORMAL")
        if not self._ready:  # once per process: both outlive the connection
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS quota (name TEXT PRIMARY KEY, state TEXT)")
            self._ready = True
        return db

    def read(self, name: str) -> QuotaState:
        with _closing(self._connect()) as db:
            row = db.execute("SELECT state FROM quota WHERE name = ?", (name,)).fetchone()
        return QuotaState.from_json(row[0] if row else None)

    def update(self, name: str, change: Callable[[QuotaState], QuotaState]) -> QuotaState:
        with _closing(self._connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute("SELECT state FROM quota WHERE name = ?", (name,)).fetchone()
                state = change(QuotaState.from_json(row[0] if row else None))
                db.execute(
                    "INSERT INTO quota (name, state) VALUES (?, ?) "
                    "ON CONFLICT (name) DO UPDATE SET state = excluded.state",
                    (name, state.to_json()),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return state

    def all(self) -> dict[str, QuotaState]:
        with _closing(self._connect()) as db:
            rows = db.execute("SELECT name, state FROM quota ORDER BY name").fetchall()
        return {name: QuotaState.from_json(text) for name, text in rows}

    def clear(self) -> None:
        with _closing(self._connect()) as db:
            db.execute("DELETE FROM quota")


class _closing:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        return self.db

    def __exit__(self, *exc_info: object) -> None:
        self.db.close()


class _RedisStore:
    """States in Redis, one key each; a write is an optimistic WATCH/MULTI transaction."""

    def __init__(self, url: str, prefix: str) -> None:
        from redis import Redis

        self._redis = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._prefix = prefix

    def _key(self, name: str) -> str:
        return f"{self._prefix}:{name}"

    def read(self, name: str) -> QuotaState:
        return QuotaState.from_json(self._redis.get(self._key(name)))

    def update(self, name: str, change: Callable[[QuotaState], QuotaState]) -> QuotaState:
        from redis.exceptions import WatchError

        key = self._key(name)
        with self._redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    state = change(QuotaState.from_json(pipe.get(key)))
                    pipe.multi()
                    pipe.set(key, state.to_json())
                    pipe.sadd(f"{self._prefix}:names", name)
                    pipe.execute()
                    return state
                except WatchError:
                    continue  # another process wrote first: apply ours to its state

    def all(self) -> dict[str, QuotaState]:
        names = sorted(n.decode() for n in self._redis.smembers(f"{self._prefix}:names"))
        if not names:
            return {}
        texts = self._redis.mget([self._key(name) for name in names])
        return {name: QuotaState.from_json(text) for name, text in zip(names, texts, strict=True)}

    def clear(self) -> None:
        names = [n.decode() for n in self._redis.smembers(f"{self._prefix}:names")]
        self._redis.delete(f"{self._prefix}:names", *(self._key(name) for name in names))


_stores: dict[tuple[str, str], Any] = {}


def _store() -> _FileStore | _RedisStore:
    """The ledger's storage as configured now (one per process and configuration)."""
    if settings.REDIS_URL:
        key = ("redis", f"{settings.REDIS_URL}|{settings.QUOTA_LEDGER_REDIS_PREFIX}")
        if key not in _stores:
            _stores[key] = _RedisStore(settings.REDIS_URL, settings.QUOTA_LEDGER_REDIS_PREFIX)
    else:
        key = ("file", str(settings.QUOTA_LEDGER_FILE))
        if key not in _stores:
            _stores[key] = _FileStore(Path(settings.QUOTA_LEDGER_FILE))
    return _stores[key]


# The ledger's storage being away (Redis restarting, the file locked for long) must not
# stop imports: the key is then treated as unknown, as after a reset, and the upstream's
# own refusals still park phases.
_STORE_ERRORS: tuple[type[BaseException], ...] = (sqlite3.OperationalError, OSError)
try:
    from redis.exceptions import RedisError

    _STORE_ERRORS += (RedisError,)
except ImportError:  # pragma: no cover - redis is a runtime dependency
    pass


def wall_clock() -> float:
    """Epoch seconds, the ledger's clock (the upstreams announce resets in epoch time);
    looked up at each call, so a test can move it."""
    return time.time()


class QuotaLedger:
    """The ledger entry of one upstream key (`name`, e.g. "ticketmaster:<fingerprint>")."""

    def __init__(self, name: str, *, clock: Callable[[], float] | None = None) -> None:
        self.name = name
        self._clock = clock

    def now(self) -> float:
        return self._clock() if self._clock is not None else wall_clock()

    def state(self) -> QuotaState:
        try:
            return _store().read(self.name)
        except _STORE_ERRORS as exc:
            log.warning("quota ledger unavailable", key=self.name, error=type(exc).__name__)
            return QuotaState()

    def _update(self, change: Callable[[QuotaState], QuotaState]) -> QuotaState:
        try:
            return _store().update(self.name, change)
        except _STORE_ERRORS as exc:
            log.warning("quota ledger unavailable", key=self.name, error=type(exc).__name__)
            return change(QuotaState())

    def hold(self, *, reserve_share: float = 0.0) -> Hold | None:
        return hold_for(self.state(), now=self.now(), reserve_share=reserve_share)

    def take(self, *, reserve_share: float = 0.0) -> Hold | None:
        """Let one request go, or say until when it must not: when the window's count is
        known it is taken down by one in the same transaction as the check, so requests
        of several clients and processes in flight at once never outrun it."""
        now = self.now()
        state = self.state()
        hold = hold_for(state, now=now, reserve_share=reserve_share)
        if hold is not None or taken(state, now=now) == state:
            return hold  # held, or nothing counted: no write
        decided: list[Hold | None] = []

        def take_one(current: QuotaState) -> QuotaState:
            decided.clear()  # a retried transaction decides again
            decided.append(hold_for(current, now=now, reserve_share=reserve_share))
            return current if decided[0] else taken(current, now=now)

        self._update(take_one)
        return decided[0] if decided else None

    def give_back(self) -> QuotaState:
        """A request taken was refused as too fast: not counted upstream, nor here."""
        now = self.now()
        return self._update(lambda state: returned(state, now=now))

    def observe(self, observation: QuotaObservation) -> QuotaState:
        now = self.now()
        return self._update(
            lambda state: observed(
                state,
                limit=observation.limit,
                available=observation.available,
                reset_at=observation.reset_at,
                now=now,
            ),
        )

    def refuse(self, *, reason: HoldReason, retry_after: float | None) -> QuotaState:
        now = self.now()
        return self._update(
            lambda state: refused(
                state,
                reason=reason,
                retry_after=retry_after,
                now=now,
                default_wait=settings.QUOTA_UNKNOWN_RESET_WAIT_SECONDS,
            ),
        )


def quota_reports() -> list[QuotaReport]:
    """Every key the ledger knows, for /metrics and /health."""
    now = wall_clock()
    return [report(name, state, now=now) for name, state in _store().all().items()]


def quota_ledger_clear() -> None:
    """Forget every key (tests; an operator after changing keys)."""
    _store().clear()
