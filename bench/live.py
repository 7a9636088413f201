"""Live push under load: N open mechanic streams on one uvicorn process, a new request every 2 s.

    .venv/bin/python bench/live.py [--clients 500,1000,2000] [--requests 15] [--idle 16] [--keep-db]

What it does (loopback only, bounded: a few minutes in all):
 1. creates a fresh PostgreSQL database `autodoctor_bench_live` on 127.0.0.1:5432 (trust auth,
    user postgres), migrates it and creates, through the real services, as many mechanics as the
    largest N (distinct logins, one signed-in session cookie each) and a customer per request;
 2. for each N: starts `uvicorn autodoctor.asgi:application` (one process, production-like
    settings but DEBUG so static files need no collectstatic), opens N streams at /live/mechanic/
    from one asyncio client process, waits until all are open, then measures:
      - idle: the server's CPU (utime+stime from /proc) over --idle seconds with N streams open
        and nothing happening (heartbeats every 15 s included), and its resident memory;
      - delivery: --requests new requests, one every 2 s, each created through the services in
        this process; for each, the time from its commit to the hint at the LAST of the N
        clients (and the median client), reported as p50/p95/p99 over the requests;
    then closes the streams and stops uvicorn;
 3. prints a table and drops the database (also on failure or Ctrl-C; --keep-db keeps it).

The clients run on the same 2 cores as the server, so the latencies include the client's own
scheduling; on separate machines they are lower. Targets: 2,000 streams, p95 <= 500 ms, idle
server CPU <= 5% of a core.
"""

import argparse
import asyncio
import contextlib
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB_NAME = "autodoctor_bench_live"
PG = "postgres://postgres@127.0.0.1:5432"
PASSWORD = "bench-password-1"
TICKS = os.sysconf("SC_CLK_TCK")


def psql(sql: str) -> None:
    subprocess.run(
        ["psql", f"{PG}/postgres", "-qAt", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True,
        capture_output=True,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup_django() -> None:
    os.environ["DATABASE_URL"] = f"{PG}/{DB_NAME}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "autodoctor.settings")
    os.environ["AXES_ENABLED"] = "0"
    import django

    django.setup()
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # bench data only


def kept_sign_ins() -> dict[int, str]:
    """user id -> session key of the sign-ins a kept database still holds."""
    from django.contrib.sessions.models import Session as BrowserSession
    from django.utils import timezone

    found = {}
    for row in BrowserSession.objects.filter(expire_date__gt=timezone.now()):
        user_id = row.get_decoded().get("_auth_user_id")
        if user_id:
            found[int(user_id)] = row.session_key
    return found


def load_data(mechanics: int, customers: int, *, reuse: bool = False) -> tuple[list[str], list]:
    """Session cookies of `mechanics` mechanics, and `customers` customers (without requests).
    `reuse`: the database was kept from an earlier run (--keep-db): sign the same people in again."""
    from django.core.management import call_command
    from django.test import Client

    from customers.models import Customer
    from customers.services import customer_create
    from mechanics.models import Mechanic
    from mechanics.services import mechanic_create
    from sessions_app.plans import ensure_default_plans

    call_command("migrate", verbosity=0)
    ensure_default_plans()
    cookies = []
    signed_in = kept_sign_ins() if reuse else {}
    for n in range(mechanics):
        if reuse:
            mechanic = Mechanic.objects.select_related("user").get(user__username=f"benchmech{n}")
            if mechanic.user_id in signed_in:
                cookies.append(f"sessionid={signed_in[mechanic.user_id]}")
                continue
        else:
            mechanic = mechanic_create(username=f"benchmech{n}", password=PASSWORD, email=f"m{n}@example.com")
        client = Client()
        client.force_login(mechanic.user)
        cookies.append(f"sessionid={client.cookies['sessionid'].value}")
    people = [
        Customer.objects.select_related("user").get(user__username=f"benchcust{n}")
        if reuse
        else customer_create(
            username=f"benchcust{n}",
            password=PASSWORD,
            full_name=f"Bench Customer {n}",
            email=f"c{n}@example.com",
        )
        for n in range(customers)
    ]
    return cookies, people


class Server:
    """uvicorn (the streams: one process) or gunicorn (today's polling: the README's deploy line,
    2 x CPUs + 1 sync workers), on a free port against the bench database."""

    def __init__(self, kind: str = "uvicorn", profile: str = "") -> None:
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
        env.update(DATABASE_URL=f"{PG}/{DB_NAME}", DEBUG="1", AXES_ENABLED="0", LOG_LEVEL="WARNING")
        bind = ["--host", "127.0.0.1", "--port", str(self.port)]
        if kind == "uvicorn":
            command = [
                *(["-m", "cProfile", "-o", profile] if profile else []), "-m", "uvicorn",
                "autodoctor.asgi:application", *bind, "--timeout-graceful-shutdown", "2",
                "--log-level", "warning", "--no-access-log", "--backlog", "4096",
            ]  # fmt: skip
        else:
            workers = 2 * (os.cpu_count() or 1) + 1
            command = [
                "-m", "gunicorn", "autodoctor.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{self.port}",
                "--no-control-socket", "--backlog", "4096", "--log-level", "warning",
            ]  # fmt: skip
        self.process = subprocess.Popen([sys.executable, *command], cwd=ROOT, env=env, start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz/", timeout=2)
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{kind} did not start")

    def pids(self) -> list[int]:
        """The server and its workers (its process group)."""
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == self.process.pid:
                found.append(int(stat.parent.name))
        return found

    def cpu_seconds(self) -> float:
        total = 0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
        return total / TICKS

    def rss_mb(self) -> float:
        total = 0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        return total / 1024

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def new_loop() -> asyncio.AbstractEventLoop:
    """The clients' loop: uvloop when installed (as the server's), so the measuring clients take
    less of the 2 cores they share with the server."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


class Fleet:
    """N clients in one asyncio loop of their own thread, opened BATCH at a time."""

    BATCH = 100

    def __init__(self, port: int, cookies: list[str]) -> None:
        self.port, self.cookies = port, cookies
        self.heard: list[list[float]] = [[] for _ in cookies]  # per client: when it heard of a change
        self.stopping = False
        self.loop = new_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.tasks = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(120)

    async def _start(self) -> list:
        tasks = []
        for i, cookie in enumerate(self.cookies):
            tasks.append(asyncio.ensure_future(self._client(i, cookie)))
            if i % self.BATCH == self.BATCH - 1:
                await asyncio.sleep(0.05)  # do not flood the accept queue
        return tasks

    async def _client(self, i: int, cookie: str) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.stopping = True
        for task in self.tasks:
            self.loop.call_soon_threadsafe(task.cancel)
        time.sleep(0.5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


class Clients(Fleet):
    """N streams; records when each client heard each "queue" hint."""

    def __init__(self, port: int, cookies: list[str]) -> None:
        self.open = 0
        super().__init__(port, cookies)

    async def _client(self, i: int, cookie: str) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port, limit=2**16)
        writer.write(
            f"GET /live/mechanic/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
            f"Cookie: {cookie}\r\n\r\n".encode()
        )
        await writer.drain()
        status = await reader.readline()
        if b" 200 " not in status:
            raise RuntimeError(f"stream {i}: {status!r}")
        self.open += 1
        try:
            while not self.stopping:
                line = await reader.readline()
                if not line:
                    return
                if line.startswith(b"data:") and b'"queue"' in line:
                    self.heard[i].append(time.monotonic())
        finally:
            writer.close()


PULSE = "/mechanic/dashboard/pulse/"
PULSE_TOKEN = re.compile(r'dashboard/pulse/\?v=([^"&]+)"')


class Pollers(Fleet):
    """N dashboards polling the pulse every 2 s as today's pages do without a stream (in one
    asyncio loop of its own thread; a connection per poll, as gunicorn's sync workers close
    after each answer). A 204 means unchanged; a 200 carries the new pulse token (the page would
    then fetch its panels: not counted here, so polling's figures are its best case)."""

    PERIOD = 2.0
    BATCH = 50

    def __init__(self, port: int, cookies: list[str]) -> None:
        self.ready = 0
        self.latencies: list[tuple[float, float]] = []  # (sent at, seconds) of every poll
        self.errors = 0
        super().__init__(port, cookies)

    async def _get(self, path: str, cookie: str) -> tuple[int, bytes]:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port, limit=2**16)
        try:
            writer.write(
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nHX-Request: true\r\nConnection: close\r\n"
                f"Cookie: {cookie}\r\n\r\n".encode()
            )
            response = await reader.read()
        finally:
            writer.close()
        head, _, body = response.partition(b"\r\n\r\n")
        return int(head.split(None, 2)[1]), body

    async def _client(self, i: int, cookie: str) -> None:
        import random
        from urllib.parse import quote, unquote

        def token_of(body: bytes) -> str:
            found = PULSE_TOKEN.search(body.decode())
            if found is None:
                raise RuntimeError(f"poller {i}: no pulse token in {body[:200]!r}")
            return unquote(found.group(1))

        status, body = await self._get(PULSE, cookie)  # the checked path: the first token
        token = token_of(body)
        self.ready += 1
        await asyncio.sleep(random.uniform(0, self.PERIOD))  # noqa: S311 - pages open at random times
        next_at = time.monotonic()
        while not self.stopping:
            sent = time.monotonic()
            try:
                status, body = await self._get(f"{PULSE}?v={quote(token)}", cookie)
            except OSError:
                status = 0
            now = time.monotonic()
            self.latencies.append((sent, now - sent))
            if status == 200:
                self.heard[i].append(now)
                token = token_of(body)
            elif status != 204:
                self.errors += 1
            next_at = max(next_at + self.PERIOD, now)
            await asyncio.sleep(next_at - now)

    def between(self, start: float, end: float) -> list[float]:
        """Latencies of the polls sent between start and end."""
        return [seconds for sent, seconds in self.latencies if start <= sent < end]

    def answered(self, start: float, end: float) -> int:
        """How many polls were answered between start and end."""
        return sum(start <= sent + seconds < end for sent, seconds in self.latencies)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def empty_queue(customers: list) -> None:
    """Cancel the bench customers' pending requests (left by a run or an interrupted one)."""
    from sessions_app.services import session_cancel

    for customer in customers:
        for session in customer.sessions.filter(status="pending"):
            session_cancel(session=session, user=customer.user)


def create_requests(customers: list, requests: int) -> list[float]:
    """`requests` new requests through the services, one every 2 s; when each committed."""
    from sessions_app.models import Plan
    from sessions_app.services import session_create

    plan = Plan.objects.get(code="free-chat")
    committed = []
    for k in range(requests):
        tick = time.monotonic()
        session_create(
            customer=customers[k], plan=plan, pay_with="free", urgent=False, actor=customers[k].user
        )
        committed.append(time.monotonic())  # session_create commits before it returns
        time.sleep(max(0.0, 2.0 - (time.monotonic() - tick)))
    time.sleep(2.5)
    return committed


def arrivals(committed: list[float], heard: list[list[float]]) -> tuple[list[float], list[float], int]:
    """For each commit: ms until the last client, and the median client, heard of it (the first
    thing each heard after the commit), over the clients that heard it before the next commit's
    window closed; and how many (client, commit) pairs were never heard at all."""
    last, median, missed = [], [], 0
    for at in committed:
        delays = [next((t - at for t in times if t > at), None) for times in heard]
        seconds = [d for d in delays if d is not None]
        missed += len(delays) - len(seconds)
        if seconds:
            last.append(max(seconds) * 1000)
            median.append(statistics.median(seconds) * 1000)
    return last or [float("nan")], median or [float("nan")], missed


def wait_for(what: str, count: Callable[[], int], n: int) -> None:
    deadline = time.monotonic() + 300
    while count() < n and time.monotonic() < deadline:
        time.sleep(0.2)
    if count() < n:
        raise RuntimeError(f"only {count()} of {n} {what} opened")


def measure_streams(
    n: int, cookies: list[str], customers: list, requests: int, idle: float, profile: str
) -> dict:
    from django.db import connection

    empty_queue(customers[:requests])
    server = Server("uvicorn", f"{profile}-{n}.prof" if profile else "")
    clients = Clients(server.port, cookies[:n])
    try:
        wait_for("streams", lambda: clients.open, n)
        time.sleep(2)  # let the connection burst settle
        cpu0, t0 = server.cpu_seconds(), time.monotonic()
        time.sleep(idle)
        idle_cpu = (server.cpu_seconds() - cpu0) / (time.monotonic() - t0) * 100
        rss_idle = server.rss_mb()
        cpu0, t0 = server.cpu_seconds(), time.monotonic()
        committed = create_requests(customers, requests)
        busy_cpu = server.cpu_seconds() - cpu0 - idle_cpu / 100 * (time.monotonic() - t0)
        last, median, missed = arrivals(committed, clients.heard)
        if missed:
            raise RuntimeError(f"{missed} hints never reached their stream")
        rss_busy = server.rss_mb()
        empty_queue(customers[:requests])  # so the next N starts from the same state
        connection.close()
        return {
            "n": n,
            "idle_cpu": idle_cpu,
            "rss_idle": rss_idle,
            "rss_busy": rss_busy,
            "last_p50": percentile(last, 50),
            "last_p95": percentile(last, 95),
            "last_p99": percentile(last, 99),
            "median_p50": percentile(median, 50),
            "cpu_per_hint": busy_cpu / requests * 1000,
        }
    finally:
        clients.close()
        server.stop()


def measure_polls(n: int, cookies: list[str], customers: list, requests: int, idle: float) -> dict:
    """The same N dashboards without streams, polling the pulse every 2 s (gunicorn)."""
    from django.db import connection

    empty_queue(customers[:requests])
    server = Server("gunicorn")
    pollers = Pollers(server.port, cookies[:n])
    try:
        wait_for("pollers", lambda: pollers.ready, n)
        time.sleep(Pollers.PERIOD + 1)  # every poller has started its rhythm
        cpu0, t0 = server.cpu_seconds(), time.monotonic()
        time.sleep(idle)
        t1 = time.monotonic()
        idle_cpu = (server.cpu_seconds() - cpu0) / (t1 - t0) * 100
        committed = create_requests(customers, requests)
        time.sleep(5)  # late polls still count (a backlog shows as latency, not as a miss)
        unchanged = pollers.between(t0, t1)
        changing = pollers.between(committed[0], committed[-1] + 2)
        last, median, missed = arrivals(committed, pollers.heard)
        empty_queue(customers[:requests])
        connection.close()
        return {
            "n": n,
            "idle_cpu": idle_cpu,
            "rss_idle": server.rss_mb(),
            "rps": pollers.answered(t0, t1) / (t1 - t0),
            "poll_p50": percentile(unchanged, 50) * 1000,
            "poll_p95": percentile(unchanged, 95) * 1000,
            "busy_poll_p95": percentile(changing, 95) * 1000,
            "last_p50": percentile(last, 50),
            "last_p95": percentile(last, 95),
            "median_p50": percentile(median, 50),
            "errors": pollers.errors,
            "missed": missed,
        }
    finally:
        pollers.close()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", default="500,1000,2000")
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--idle", type=float, default=16.0, help="seconds of idle CPU measurement")
    parser.add_argument("--keep-db", action="store_true", help="keep the database for --reuse-db")
    parser.add_argument("--reuse-db", action="store_true", help="measure a database kept by --keep-db")
    parser.add_argument(
        "--profile", default="", help="run the server under cProfile, into PREFIX-N.prof (slower)"
    )
    parser.add_argument("--no-polls", action="store_true", help="skip the polling column")
    args = parser.parse_args()
    sizes = [int(x) for x in args.clients.split(",")]

    if not args.reuse_db:
        psql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        psql(f'CREATE DATABASE "{DB_NAME}"')
    streams, polls = [], []
    try:
        setup_django()
        started = time.monotonic()
        cookies, customers = load_data(max(sizes), args.requests, reuse=args.reuse_db)
        print(f"loaded {max(sizes)} mechanics in {time.monotonic() - started:.0f} s", flush=True)
        for n in sizes:
            r = measure_streams(n, cookies, customers, args.requests, args.idle, args.profile)
            streams.append(r)
            print(
                f"N={n} streams: last client p50 {r['last_p50']:.0f} ms, p95 {r['last_p95']:.0f} ms, "
                f"p99 {r['last_p99']:.0f} ms; idle CPU {r['idle_cpu']:.1f}%; "
                f"{r['cpu_per_hint']:.0f} ms CPU per hint",
                flush=True,
            )
            if not args.no_polls:
                r = measure_polls(n, cookies, customers, args.requests, args.idle)
                polls.append(r)
                print(
                    f"N={n} polls: {r['rps']:.0f} req/s, poll p50 {r['poll_p50']:.0f} ms, p95 "
                    f"{r['poll_p95']:.0f} ms (during changes {r['busy_poll_p95']:.0f} ms); change seen by "
                    f"the last client p50 {r['last_p50']:.0f} ms, p95 {r['last_p95']:.0f} ms; "
                    f"CPU {r['idle_cpu']:.0f}%; {r['errors']} errors; {r['missed']} changes never seen",
                    flush=True,
                )
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep_db:
            psql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')

    print()
    print("Streams (one uvicorn process):")
    print()
    print(
        "| streams | commit→hint, last client p50 / p95 / p99 | median client p50 | idle server CPU "
        "| server CPU per hint | RSS idle / busy |"
    )
    print("|---|---|---|---|---|---|")
    for r in streams:
        print(
            f"| {r['n']:,} | {r['last_p50']:.0f} / {r['last_p95']:.0f} / {r['last_p99']:.0f} ms "
            f"| {r['median_p50']:.0f} ms | {r['idle_cpu']:.1f}% of a core | {r['cpu_per_hint']:.0f} ms "
            f"| {r['rss_idle']:.0f} / {r['rss_busy']:.0f} MB |"
        )
    if polls:
        print()
        print("The same pages polling every 2 s (gunicorn, 2 x CPUs + 1 sync workers):")
        print()
        print(
            "| pages | requests/s (nothing changed) | poll p50 / p95 | poll p95 while changing "
            "| change seen, last page p50 / p95 | median page | server CPU (nothing changed) | RSS |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for r in polls:
            print(
                f"| {r['n']:,} | {r['rps']:.0f} | {r['poll_p50']:.0f} / {r['poll_p95']:.0f} ms "
                f"| {r['busy_poll_p95']:.0f} ms | {r['last_p50']:.0f} / {r['last_p95']:.0f} ms "
                f"| {r['median_p50']:.0f} ms | {r['idle_cpu']:.0f}% of a core | {r['rss_idle']:.0f} MB |"
            )


if __name__ == "__main__":
    main()
