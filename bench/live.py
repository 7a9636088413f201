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
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
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


def load_data(mechanics: int, customers: int) -> tuple[list[str], list]:
    """Session cookies of `mechanics` mechanics, and `customers` customers (without requests)."""
    from django.core.management import call_command
    from django.test import Client

    from customers.services import customer_create
    from mechanics.services import mechanic_create
    from sessions_app.plans import ensure_default_plans

    call_command("migrate", verbosity=0)
    ensure_default_plans()
    cookies = []
    for n in range(mechanics):
        mechanic = mechanic_create(username=f"benchmech{n}", password=PASSWORD, email=f"m{n}@example.com")
        client = Client()
        client.force_login(mechanic.user)
        cookies.append(f"sessionid={client.cookies['sessionid'].value}")
    people = [
        customer_create(
            username=f"benchcust{n}",
            password=PASSWORD,
            full_name=f"Bench Customer {n}",
            email=f"c{n}@example.com",
        )
        for n in range(customers)
    ]
    return cookies, people


class Server:
    def __init__(self) -> None:
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
        env.update(DATABASE_URL=f"{PG}/{DB_NAME}", DEBUG="1", AXES_ENABLED="0", LOG_LEVEL="WARNING")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "autodoctor.asgi:application", "--host", "127.0.0.1",
             "--port", str(self.port), "--timeout-graceful-shutdown", "2", "--log-level", "warning",
             "--no-access-log", "--backlog", "4096"],
            cwd=ROOT, env=env, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz/", timeout=2)
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("uvicorn did not start")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


class Clients:
    """N streams in one asyncio loop (its own thread); records when each client heard each hint."""

    def __init__(self, port: int, cookies: list[str]) -> None:
        self.port, self.cookies = port, cookies
        self.heard: list[list[float]] = [[] for _ in cookies]  # per client: arrival of each "queue" hint
        self.open = 0
        self.loop = asyncio.new_event_loop()
        self.stopping = False
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.tasks = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(120)

    async def _start(self) -> list:
        tasks = []
        for i, cookie in enumerate(self.cookies):
            tasks.append(asyncio.ensure_future(self._client(i, cookie)))
            if i % 100 == 99:
                await asyncio.sleep(0.05)  # do not flood the accept queue
        return tasks

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

    def close(self) -> None:
        self.stopping = True
        for task in self.tasks:
            self.loop.call_soon_threadsafe(task.cancel)
        time.sleep(0.5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(n: int, cookies: list[str], customers: list, requests: int, idle: float) -> dict:
    from django.db import connection

    from sessions_app.models import Plan
    from sessions_app.services import session_create

    plan = Plan.objects.get(code="free-chat")
    server = Server()
    clients = Clients(server.port, cookies[:n])
    try:
        deadline = time.monotonic() + 120
        while clients.open < n and time.monotonic() < deadline:
            time.sleep(0.2)
        if clients.open < n:
            raise RuntimeError(f"only {clients.open} of {n} streams opened")
        time.sleep(2)  # let the connection burst settle
        cpu0, t0 = server.cpu_seconds(), time.monotonic()
        time.sleep(idle)
        idle_cpu = (server.cpu_seconds() - cpu0) / (time.monotonic() - t0) * 100
        rss_idle = server.rss_mb()

        committed = []
        for k in range(requests):
            tick = time.monotonic()
            session_create(
                customer=customers[k], plan=plan, pay_with="free", urgent=False, actor=customers[k].user
            )
            committed.append(time.monotonic())  # session_create commits before it returns
            time.sleep(max(0.0, 2.0 - (time.monotonic() - tick)))
        time.sleep(2)
        last, median = [], []
        for k, at in enumerate(committed):
            arrivals = [heard[k] - at for heard in clients.heard if len(heard) > k]
            if len(arrivals) < n:
                raise RuntimeError(f"request {k}: only {len(arrivals)} of {n} clients heard it")
            last.append(max(arrivals) * 1000)
            median.append(statistics.median(arrivals) * 1000)
        rss_busy = server.rss_mb()
        # the requests leave the queue again, so the next N starts from the same state
        from sessions_app.services import session_cancel

        for customer in customers[:requests]:
            for s in customer.sessions.filter(status="pending"):
                session_cancel(session=s, user=customer.user)
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
        }
    finally:
        clients.close()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", default="500,1000,2000")
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--idle", type=float, default=16.0, help="seconds of idle CPU measurement")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    sizes = [int(x) for x in args.clients.split(",")]

    psql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{DB_NAME}"')
    results = []
    try:
        setup_django()
        started = time.monotonic()
        cookies, customers = load_data(max(sizes), args.requests)
        print(f"loaded {max(sizes)} mechanics in {time.monotonic() - started:.0f} s", flush=True)
        for n in sizes:
            result = measure(n, cookies, customers, args.requests, args.idle)
            results.append(result)
            print(
                f"N={n}: last client p50 {result['last_p50']:.0f} ms, p95 {result['last_p95']:.0f} ms, "
                f"p99 {result['last_p99']:.0f} ms; idle CPU {result['idle_cpu']:.1f}%",
                flush=True,
            )
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep_db:
            psql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')

    print()
    print(
        "| streams | commit→hint, last client p50 / p95 / p99 | median client p50 | idle CPU | RSS idle / busy |"
    )
    print("|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['n']:,} | {r['last_p50']:.0f} / {r['last_p95']:.0f} / {r['last_p99']:.0f} ms "
            f"| {r['median_p50']:.0f} ms | {r['idle_cpu']:.1f}% of a core "
            f"| {r['rss_idle']:.0f} / {r['rss_busy']:.0f} MB |"
        )


if __name__ == "__main__":
    main()
