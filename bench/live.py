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
    unless --no-polls: starts gunicorn (the README's deploy line) and has wrk (apt-get install wrk)
    hold the same N dashboards polling the pulse, each every 2 s on average, with its own cookie
    and token, for max(--idle, 20) seconds while nothing changes: requests/s, latency p50/p95/p99,
    the server's CPU and memory;
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
    os.environ.pop("SECRET_KEY", None)  # as the servers run: the tokens issued here must check out
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
    2 x CPUs + 1 workers, here gthread), on a free port against the bench database."""

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
            # gthread: a connection that has not sent its request yet (wrk connects, then waits
            # for its page's next poll) waits in the worker's selector, not in a sync worker's
            # blocking read. In production the load balancer buffers each request and gives the
            # sync workers the same property; the bench has no balancer in front.
            workers = 2 * (os.cpu_count() or 1) + 1
            command = [
                "-m", "gunicorn", "autodoctor.wsgi", "-w", str(workers), "-k", "gthread", "--threads", "4",
                "-b", f"127.0.0.1:{self.port}", "--no-control-socket", "--backlog", "4096",
                "--keep-alive", "5", "--log-level", "warning",
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


# Today's polling, generated by wrk (C, event loop) rather than by Python: an asyncio client on
# the same 2 cores could not keep 2,000 pages' rhythm and measured itself, not the server.
# Each wrk connection is one open page: it waits a random 1-3 s (2 s on average, so the pages
# drift apart as real ones do), sends the pulse with the page's own cookie and token, and waits
# again after the answer, on the same connection while gunicorn keeps it alive (5 s), as a
# browser would. Its latency is from the request written to the answer read.
POLL_LUA = r"""
local lines, i = {}, 0
function init(args)
  for line in io.lines(args[1]) do lines[#lines + 1] = line end
  math.randomseed(os.time() + #tostring({}))
  i = math.random(#lines)
end
function delay() return math.random(1000, 3000) end
function request()
  i = i % #lines + 1
  local cookie, path = lines[i]:match("([^\t]+)\t(.+)")
  return wrk.format("GET", path, {["Cookie"] = cookie, ["HX-Request"] = "true"})
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status, latency.max))
end
"""


def pulse_lines(cookies: list[str]) -> list[str]:
    """`cookie<TAB>path` per page: the pulse with the token its dashboard would carry now (issued
    here, with the server's key: both run with the same settings)."""
    from urllib.parse import quote

    from sessions_app.live import pulse_token
    from sessions_app.selectors import state_version

    version = state_version()
    return [
        f"{cookie}\t{PULSE}?v={quote(pulse_token(session_key=cookie.split('=', 1)[1], version=version))}"
        for cookie in cookies
    ]


def run_wrk(port: int, lines: list[str], *, seconds: float, workdir: Path) -> dict:
    """N paced pages (one wrk connection each) for `seconds`; wrk's own summary."""
    import shutil

    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is missing: apt-get install -y wrk (or run with --no-polls)")
    (workdir / "polls.lua").write_text(POLL_LUA)
    (workdir / "pages.txt").write_text("\n".join(lines) + "\n")
    result = subprocess.run(
        [wrk, "-t", "2", "-c", str(len(lines)), "-d", f"{seconds:.0f}s", "--timeout", "10s",
         "-s", str(workdir / "polls.lua"), f"http://127.0.0.1:{port}/", "--", str(workdir / "pages.txt")],
        capture_output=True, text=True, check=True, timeout=seconds + 60,
    )  # fmt: skip
    found = re.search(r"^RESULT (.+)$", result.stdout, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"wrk said: {result.stdout}{result.stderr}")
    requests, duration_us, p50, p95, p99, errors, non2xx, worst = (int(x) for x in found.group(1).split())
    return {
        "rps": requests / (duration_us / 1e6),
        "p50": p50 / 1000,
        "p95": p95 / 1000,
        "p99": p99 / 1000,
        "max": worst / 1000,
        "errors": errors,
        "non2xx": non2xx,
    }


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


def measure_polls(n: int, cookies: list[str], seconds: float) -> dict:
    """The same N dashboards without streams, each polling the pulse every 2 s on average
    (gunicorn, the README's deploy line), while nothing changes: what polling costs at rest.
    When something changes, a polling page hears of it on its next poll: on average 1 s later,
    at worst 2 s plus the up-to-1 s version memo (sessions_app.live), plus its panels' fetches."""
    import tempfile

    server = Server("gunicorn")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            lines = pulse_lines(cookies[:n])
            path = lines[0].split("\t")[1]
            probe = urllib.request.Request(
                f"http://127.0.0.1:{server.port}{path}", headers={"Cookie": cookies[0]}
            )
            with urllib.request.urlopen(probe, timeout=10) as answer:  # noqa: S310 - loopback
                if answer.status != 204:
                    raise RuntimeError(f"the pulse did not take its unchanged path ({answer.status})")
            run_wrk(server.port, lines, seconds=6, workdir=Path(tmp))  # warm up: workers, memo
            cpu0, t0 = server.cpu_seconds(), time.monotonic()
            r = run_wrk(server.port, lines, seconds=seconds, workdir=Path(tmp))
            cpu = (server.cpu_seconds() - cpu0) / (time.monotonic() - t0) * 100
        return {"n": n, "cpu": cpu, "rss": server.rss_mb(), **r}
    finally:
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
                r = measure_polls(n, cookies, max(args.idle, 20))
                polls.append(r)
                print(
                    f"N={n} polls: {r['rps']:.0f} req/s, p50 {r['p50']:.0f} / p95 {r['p95']:.0f} / p99 "
                    f"{r['p99']:.0f} ms; server CPU {r['cpu']:.0f}% of a core; {r['errors']} socket "
                    f"errors, {r['non2xx']} non-2xx",
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
        print(
            "The same pages polling every 2 s, nothing changing (gunicorn, 2 x CPUs + 1 gthread workers; wrk):"
        )
        print()
        print(
            "| pages | requests/s (offered: pages / 2) | poll p50 / p95 / p99 | server CPU | RSS | errors |"
        )
        print("|---|---|---|---|---|---|")
        for r in polls:
            print(
                f"| {r['n']:,} | {r['rps']:.0f} ({r['n'] / 2:.0f}) | {r['p50']:.0f} / {r['p95']:.0f} / "
                f"{r['p99']:.0f} ms | {r['cpu']:.0f}% of a core | {r['rss']:.0f} MB "
                f"| {r['errors'] + r['non2xx']} |"
            )
        print()
        print("A change reaches a polling page on its next poll: ~1 s on average, at worst 2 s + 1 s memo.")


if __name__ == "__main__":
    main()
