"""Live push, the platform half: publish a hint inside a transaction, and one per-process broker
that fans hints out to the open event streams (SPEC §7).

The broker knows nothing of sessions. A hint is a small JSON object; each subscriber brings a
`select` function that turns a hint into what its browser may see (or None: not for it).

PostgreSQL: `publish` runs `pg_notify` in the caller's transaction, so a rolled-back change
announces nothing and a committed one is delivered on commit. Each process holds ONE dedicated
LISTEN connection (opened by the first stream), reconnects with backoff when it is lost and then
tells every subscriber to re-fetch, since hints may have been missed meanwhile.

SQLite (or any other database): `publish` does nothing; the broker reads the state version once
a second and tells every subscriber to re-fetch when it moved. Same streams, same pages.

Every delivery carries the state version (read once per batch of hints, not per client), which
the streams send as the SSE event id: a reconnecting page brings it back as Last-Event-ID.

Fan-out cost is per client, so it is kept to a queue put: every client that hears the same
thing of a batch gets the same Delivery, whose SSE frame is encoded once (2,000 dashboards hear
one "queue changed", serialised once). Heartbeats come from one per-process tick that writes
only to streams quiet for HEARTBEAT_SECONDS, not from a timer per stream.
"""

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from time import monotonic
from typing import Any

from asgiref.sync import sync_to_async
from django.db import connection, connections

logger = logging.getLogger(__name__)

Hint = dict[str, Any]
CHANNEL = "autodoctor_live"
MAX_PAYLOAD_BYTES = 7900  # PostgreSQL refuses NOTIFY payloads of 8000 bytes or more
QUEUE_SIZE = 64  # hints waiting for one slow client before it is dropped (it reconnects)
FALLBACK_INTERVAL = 1.0  # seconds between version checks without LISTEN/NOTIFY
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 10.0
HEARTBEAT_SECONDS = 15.0  # a comment to a stream that heard nothing for this long (proxies, dead peers)
HEARTBEAT_TICK = 1.0  # how often the process looks for quiet streams
REFETCH: Hint = {"kind": "refetch"}
LISTENER_NAME = "autodoctor-live-listen"  # pg_stat_activity.application_name of the LISTEN connections


def publish(hint: Hint, *, channel: str = CHANNEL) -> None:
    """Announce `hint` when the caller's transaction commits (PostgreSQL; elsewhere a no-op).

    Runs on the caller's connection, so it is part of the caller's transaction. Keep hints small
    and free of private data: they say *what* changed, the page fetches the rest as before."""
    if connection.vendor != "postgresql":
        return
    payload = json.dumps(hint, separators=(",", ":"), sort_keys=True)
    if len(payload.encode()) > MAX_PAYLOAD_BYTES:
        raise ValueError("A live hint must stay under 8,000 bytes: send ids, not content.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_notify(%s, %s)", [channel, payload])


def sse_frame(event: str, version: int, hint: Hint) -> bytes:
    """One Server-Sent Event: the hint as JSON data, the state version as its id."""
    data = json.dumps(hint, separators=(",", ":"))
    return f"event: {event}\nid: {version}\ndata: {data}\n\n".encode()


@dataclass(frozen=True)
class Delivery:
    """What one or many streams send next. Shared by every client that hears the same thing in
    one batch, so its frame is encoded once."""

    version: int
    hint: Hint

    @cached_property
    def frame(self) -> bytes:
        return sse_frame("hint", self.version, self.hint)


class _Heartbeat(Delivery):
    frame = b": heartbeat\n\n"  # type: ignore[assignment]  # a constant, not computed


HEARTBEAT: Delivery = _Heartbeat(0, {})
CLOSE: Delivery = Delivery(0, {"kind": "close"})  # never sent: the stream ends (a dropped client)


@dataclass(eq=False)
class Subscriber:
    """One open stream. `select` maps a hint to what this client may see, or None."""

    select: Callable[[Hint], Hint | None]
    queue: asyncio.Queue[Delivery] = field(default_factory=lambda: asyncio.Queue(maxsize=QUEUE_SIZE))
    dropped: bool = False
    last_sent: float = field(default_factory=monotonic)  # when something last went to its queue


def _libpq_params(alias: str = "default") -> dict[str, Any]:
    """Connection parameters for a psycopg connection of our own, from Django's settings."""
    settings_dict = connections[alias].settings_dict
    params: dict[str, Any] = {
        "dbname": settings_dict["NAME"],
        "user": settings_dict.get("USER") or None,
        "password": settings_dict.get("PASSWORD") or None,
        "host": settings_dict.get("HOST") or None,
        "port": str(settings_dict["PORT"]) if settings_dict.get("PORT") else None,
    }
    for key, value in (settings_dict.get("OPTIONS") or {}).items():
        if isinstance(value, str | int) and key not in {"isolation_level", "assume_role", "pool"}:
            params[key] = value
    return {key: value for key, value in params.items() if value is not None}


class Broker:
    """Per-process fan-out from one source of hints to many subscribers (see the module doc)."""

    def __init__(
        self,
        *,
        version_sql: str,
        channel: str = CHANNEL,
        listen: bool | None = None,
        heartbeat: float = HEARTBEAT_SECONDS,
    ) -> None:
        """`listen`: LISTEN/NOTIFY (True) or the once-a-second version check (False); by default
        LISTEN on PostgreSQL. `heartbeat`: seconds of quiet before a stream gets a heartbeat."""
        self.version_sql = version_sql
        self.listen = listen
        self.channel = channel
        self.heartbeat = heartbeat
        self.subscribers: set[Subscriber] = set()
        self.version = 0
        self.listener_pid: int | None = None  # the LISTEN connection's backend (tests kill it)
        self.connected = asyncio.Event()  # set while hints can arrive
        self._tasks: list[asyncio.Task[None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- subscribers ---------------------------------------------------------------------------

    async def subscribe(self, select: Callable[[Hint], Hint | None]) -> Subscriber:
        self.start()
        subscriber = Subscriber(select=select)
        self.subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)

    def fan_out(self, hints: list[Hint], version: int) -> None:
        """Hand each subscriber what it may see of `hints`. A client whose queue is full is
        dropped: its stream ends, the browser reconnects and re-fetches (hints are idempotent).
        Clients that see the same hint object share one Delivery (one encoding)."""
        self.version = version
        shared: dict[int, Delivery] = {}  # id(seen) -> its Delivery; holds `seen`, so ids stay unique
        now = monotonic()
        for subscriber in list(self.subscribers):
            for hint in hints:
                seen = REFETCH if hint is REFETCH else subscriber.select(hint)
                if seen is None:
                    continue
                delivery = shared.get(id(seen))
                if delivery is None:
                    delivery = shared[id(seen)] = Delivery(version, seen)
                if not self._offer(subscriber, delivery, now):
                    break

    def _offer(self, subscriber: Subscriber, delivery: Delivery, now: float) -> bool:
        try:
            subscriber.queue.put_nowait(delivery)
        except asyncio.QueueFull:
            self._drop(subscriber)
            return False
        subscriber.last_sent = now
        return True

    def _drop(self, subscriber: Subscriber) -> None:
        """End a slow client's stream now: what it had queued is replaced by CLOSE."""
        subscriber.dropped = True
        self.subscribers.discard(subscriber)
        while not subscriber.queue.empty():
            subscriber.queue.get_nowait()
        subscriber.queue.put_nowait(CLOSE)

    def beat(self) -> None:
        """A heartbeat to every stream that has been quiet for `heartbeat` seconds."""
        now = monotonic()
        for subscriber in list(self.subscribers):
            if now - subscriber.last_sent >= self.heartbeat:
                self._offer(subscriber, HEARTBEAT, now)

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(min(HEARTBEAT_TICK, self.heartbeat))
            self.beat()

    # --- the source ----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the source and the heartbeat on the running loop (once per loop; the first
        stream calls it)."""
        loop = asyncio.get_running_loop()
        if self._tasks and self._loop is loop and not any(task.done() for task in self._tasks):
            return
        for task in self._tasks:
            task.cancel()
        self._loop = loop
        listen = connection.vendor == "postgresql" if self.listen is None else self.listen
        run = self._listen if listen else self._watch_version
        self._tasks = [
            loop.create_task(run(), name="autodoctor-live-broker"),
            loop.create_task(self._beat(), name="autodoctor-live-heartbeat"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        self.connected.clear()

    async def _listen(self) -> None:
        import psycopg  # the PostgreSQL driver; never needed on SQLite

        backoff, first = BACKOFF_FIRST, True
        while True:
            try:
                params = {**_libpq_params(), "application_name": LISTENER_NAME}
                conn = await psycopg.AsyncConnection.connect(**params, autocommit=True)
                async with conn:
                    await conn.execute(f'LISTEN "{self.channel}"')
                    self.listener_pid = conn.info.backend_pid
                    version = await self._read_version(conn)
                    if not first:  # hints may have been lost while we were away
                        self.fan_out([REFETCH], version)
                    self.version, first, backoff = version, False, BACKOFF_FIRST
                    self.connected.set()
                    while True:
                        hints = [self._parse(n.payload) async for n in conn.notifies(stop_after=1)]
                        # Whatever else arrived meanwhile joins this batch: one version read.
                        hints += [self._parse(n.payload) async for n in conn.notifies(timeout=0.005)]
                        self.fan_out([h for h in hints if h is not None], await self._read_version(conn))
            except asyncio.CancelledError:
                raise
            except Exception:  # a lost connection, a restart, a failover: reconnect
                self.connected.clear()
                self.listener_pid = None
                logger.warning("live push: LISTEN connection lost; reconnecting in %.1f s", backoff)
                await asyncio.sleep(backoff * random.uniform(0.8, 1.2))  # noqa: S311 - jitter
                backoff = min(backoff * 2, BACKOFF_MAX)

    async def _read_version(self, conn: Any) -> int:
        cursor = await conn.execute(self.version_sql)
        row = await cursor.fetchone()
        return int(row[0]) if row else 0

    @staticmethod
    def _parse(payload: str) -> Hint | None:
        try:
            hint = json.loads(payload)
        except ValueError:
            return None
        return hint if isinstance(hint, dict) else None

    async def _watch_version(self) -> None:
        """No LISTEN/NOTIFY: one version read per second per process; a move means re-fetch."""
        self.version = await sync_to_async(self._version_now, thread_sensitive=False)()
        self.connected.set()
        while True:
            await asyncio.sleep(FALLBACK_INTERVAL)
            try:
                version = await sync_to_async(self._version_now, thread_sensitive=False)()
            except Exception:
                logger.warning("live push: reading the state version failed", exc_info=True)
                continue
            if version != self.version:
                self.fan_out([REFETCH], version)

    def _version_now(self) -> int:
        try:
            with connection.cursor() as cursor:
                cursor.execute(self.version_sql)
                row = cursor.fetchone()
                return int(row[0]) if row else 0
        finally:
            connection.close()  # a pool thread must not keep a connection open


def retry_ms(base: int = 2000) -> int:
    """The SSE `retry:` delay with jitter, so a restart is not followed by a thundering herd."""
    return base + random.randint(0, base)  # noqa: S311 - jitter, not a secret
