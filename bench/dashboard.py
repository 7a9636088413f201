"""Mechanic dashboard throughput under gunicorn, measured with wrk, as ratios to a trivial view.

    .venv/bin/python bench/dashboard.py [--duration 5] [--connections 8] [--keep-db]

What it does, start to finish (about a minute):
 1. creates a fresh PostgreSQL database `autodoctor_bench` on 127.0.0.1:5432 (trust auth, user
    postgres) and migrates it;
 2. loads a realistic data set through the real services: 50 queued requests (some urgent) and
    a mechanic (capacity 2) with 2,000 completed sessions in their history (a third of them
    rated) plus one waiting session, so every panel has something to show and the queue still
    offers Accept buttons; then VACUUM ANALYZE, as autovacuum would in a running system;
 3. starts gunicorn (2 sync workers, production settings: DEBUG=false, manifest-free static);
 4. signs in through the real login form to get a session cookie and the CSRF cookie, and reads
    the pulse token from the dashboard;
 5. runs wrk (loopback only, bounded duration) against: /healthz/ (no database at all: the
    baseline), /after-login/ (the floor of any signed-in request: session, user and profile
    loads, then a redirect), the unchanged pulse poll, the queue panel (50 requests, first page
    of 20) as every open dashboard fetches it after a change (with its newest pulse's panel
    token: the list rendered once per state version, shared, served without loading session
    or user), the same panel without a token (the checked path: session, user, mechanic, then
    the shared list), the same panel filtered (rendered on every request), the full
    dashboard, and a customer's active-session banner poll (last of the 50 in line) with its
    state token and without it (the checked path), checking each answers the expected status
    first. The cases run interleaved in rounds, so a busy machine
    slows them alike;
 6. prints a table with the median requests per second and the median ratio to /healthz/;
 7. stops gunicorn and drops the database (also on failure or Ctrl-C).

Targets: unchanged poll >= 0.8x the trivial view, queue panel >= 0.25x.
Numbers vary from machine to machine; compare ratios from one run only.
"""

import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from html import unescape
from pathlib import Path
from urllib.parse import unquote, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB_NAME = "autodoctor_bench"
PG = "postgres://postgres@127.0.0.1:5432"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
WRK = shutil.which("wrk") or "/usr/bin/wrk"
MECHANIC = "benchmike"
CUSTOMER = "benchcustomer"  # the last of the queued requests: 50th in line
PASSWORD = "bench-password-1"
QUEUED = 50
HISTORY = 2000
TARGETS = {"unchanged poll": 0.8, "queue panel, 50 queued": 0.25}  # issue 3

SERVER_ENV = {
    "DATABASE_URL": f"{PG}/{DB_NAME}",
    "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "DEBUG": "false",
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "false",
    "PLAIN_STATIC": "1",
    "LOG_LEVEL": "WARNING",
    "PYTHONWARNINGS": "ignore:No directory at",  # whitenoise: no collectstatic for a benchmark
    # No task cluster runs: notification tasks from loading stay queued in the ORM broker and
    # go away with the database; the mail backend is in memory in case anything sends.
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
}


# --- database ------------------------------------------------------------------------------------


def admin_sql(statement: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(statement)


def create_database() -> None:
    admin_sql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    admin_sql(f'CREATE DATABASE "{DB_NAME}"')
    env = {**os.environ, **SERVER_ENV}
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)


def admin_sql_in_bench_db(statement: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/{DB_NAME}", autocommit=True) as conn:
        conn.execute(statement)


def drop_database() -> None:
    admin_sql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def load_data() -> None:
    """The data set, written through the services (the same code paths production uses)."""
    os.environ.update(SERVER_ENV)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "autodoctor.settings")
    import django

    django.setup()
    from django.db import connections
    from django.test.utils import override_settings

    from customers.services import customer_create
    from mechanics.services import mechanic_create
    from sessions_app.models import Rating
    from sessions_app.plans import ensure_default_plans
    from sessions_app.services import session_accept, session_complete, session_create, session_start

    ensure_default_plans()
    from sessions_app.models import Plan

    free_chat = Plan.objects.get(code="free-chat")
    mechanic = mechanic_create(username=MECHANIC, password=PASSWORD, display_name="Bench Mike", capacity=2)
    bench_customer = customer_create(username=CUSTOMER, password=PASSWORD, full_name="Bench Customer")

    started = time.monotonic()
    # Customers never sign in here: a cheap hasher keeps loading fast.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        regulars = [
            customer_create(
                username=f"regular{i}", password=PASSWORD, full_name=f"Regular Driver{i}", credits=0
            )
            for i in range(20)
        ]
        for i in range(HISTORY):
            customer = regulars[i % len(regulars)]
            session = session_create(customer=customer, plan=free_chat, pay_with="free", actor=customer.user)
            assignment = session.assignments.get(status="queued")
            session = session_accept(assignment=assignment, mechanic=mechanic)
            session_start(session=session, mechanic=mechanic)
            session_complete(session=session, mechanic=mechanic, summary=f"Finding number {i}: all good.")
            if i % 3 == 0:
                Rating.objects.create(session=session, stars=1 + i % 5, comment="Thanks")
            if i % 500 == 499:
                print(f"  history: {i + 1} sessions ({time.monotonic() - started:.0f} s)", flush=True)
        waiting_for = customer_create(username="waitingcustomer", password=PASSWORD, full_name="Wendy Waits")
        held = session_create(customer=waiting_for, plan=free_chat, pay_with="free", actor=waiting_for.user)
        session_accept(assignment=held.assignments.get(status="queued"), mechanic=mechanic)
        for i in range(QUEUED):
            customer = (
                customer_create(username=f"queued{i}", password=PASSWORD, full_name=f"Queued Person{i}")
                if i < QUEUED - 1
                else bench_customer
            )
            session_create(
                customer=customer,
                plan=free_chat,
                pay_with="free",
                urgent=i % 10 == 0,
                actor=customer.user,
            )
    print(
        f"  loaded {HISTORY} history sessions and {QUEUED} queued requests in {time.monotonic() - started:.0f} s"
    )
    connections.close_all()


# --- server --------------------------------------------------------------------------------------


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int) -> subprocess.Popen:
    env = {**os.environ, **SERVER_ENV}
    process = subprocess.Popen(
        [
            GUNICORN,
            "autodoctor.wsgi",
            "-w",
            "2",
            "--no-control-socket",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            status, _, _ = request(port, "GET", "/healthz/")
            if status == 200:
                return process
        except OSError:
            pass
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited during start-up")
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz/ within 30 s")


def stop_gunicorn(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


# --- HTTP ----------------------------------------------------------------------------------------


def request(port: int, method: str, path: str, *, headers: dict | None = None, body: str | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read().decode(errors="replace")
    finally:
        conn.close()


def cookies_from(headers) -> dict[str, str]:
    """Cookies from Set-Cookie headers (the production cookies are Secure, which cookie jars
    would refuse to send back over plain http; this loopback client does it by hand)."""
    found = {}
    for name, value in headers:
        if name.lower() == "set-cookie":
            key, _, rest = value.partition("=")
            found[key.strip()] = rest.split(";", 1)[0]
    return found


def sign_in(port: int, username: str = MECHANIC) -> dict[str, str]:
    status, headers, html = request(port, "GET", "/accounts/login/")
    assert status == 200, f"login page answered {status}"
    cookies = cookies_from(headers)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    form = urlencode({"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token})
    status, headers, _ = request(
        port,
        "POST",
        "/accounts/login/",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookies['csrftoken']}",
            "Referer": f"http://127.0.0.1:{port}/accounts/login/",
        },
    )
    assert status == 302, f"login answered {status}"
    cookies.update(cookies_from(headers))
    assert "sessionid" in cookies, "no session cookie after login"
    return cookies


# --- wrk -----------------------------------------------------------------------------------------


def run_wrk(url: str, headers: dict[str, str], *, duration: int, connections: int) -> tuple[float, int]:
    """Requests per second and the number of non-2xx/3xx answers."""
    args = [WRK, "-t", "2", "-c", str(connections), "-d", f"{duration}s", "--latency"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        args + [url], capture_output=True, text=True, timeout=duration + 30, check=True
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return rps, int(errors.group(1)) if errors else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds over all URLs (default 3)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database at the end")
    parser.add_argument(
        "--reuse-db",
        action="store_true",
        help="measure a database kept by an earlier --keep-db run (no loading)",
    )
    options = parser.parse_args()

    server = None
    try:
        if not options.reuse_db:
            print(f"Creating and migrating {DB_NAME} …", flush=True)
            create_database()
            print("Loading data through the services …", flush=True)
            load_data()
            # What autovacuum does in a running system: fresh statistics, no dead index entries.
            admin_sql_in_bench_db("VACUUM ANALYZE")
        port = free_port()
        server = start_gunicorn(port)
        cookies = sign_in(port)
        cookie_header = "; ".join(f"{k}={v}" for k, v in cookies.items())
        htmx = {"Cookie": cookie_header, "HX-Request": "true"}

        status, _, page = request(port, "GET", "/mechanic/dashboard/", headers={"Cookie": cookie_header})
        assert status == 200, f"dashboard answered {status}"
        assert 'class="btn btn-primary request-accept"' in page, "the queue should offer Accept buttons"
        assert "Waiting to Start" in page, "My Active Work should hold the waiting session"
        pulse = unquote(re.search(r'dashboard/pulse/\?v=([^"&]+)"', page).group(1))
        base = f"http://127.0.0.1:{port}"
        customer_cookie = "; ".join(f"{k}={v}" for k, v in sign_in(port, CUSTOMER).items())
        status, _, page = request(port, "GET", "/customer/dashboard/", headers={"Cookie": customer_cookie})
        assert status == 200 and f"#{QUEUED}</strong> in line" in page, "the customer should be last in line"
        banner_version = unescape(unquote(re.search(r'customer/banner/\?v=([^"&]+)"', page).group(1)))
        banner_token = unescape(re.search(r'id="session-banner"[^>]*data-token="([^"]+)"', page).group(1))
        banner_poll = "/customer/banner/?" + urlencode({"v": banner_version, "t": banner_token})
        banner_checked = "/customer/banner/?" + urlencode({"v": banner_version})

        def shared_panel() -> str:
            """The queue panel as the browser asks for it after a change: with the panel token
            of its newest pulse (tokens last 30 s, so each wrk run gets a fresh one)."""
            status, _, html = request(port, "GET", "/mechanic/dashboard/", headers={"Cookie": cookie_header})
            assert status == 200, f"dashboard answered {status}"
            token = unescape(re.search(r'data-panel-token="([^"]+)"', html).group(1))
            return "/mechanic/dashboard/panels/tablist/?" + urlencode({"tab": "incoming", "pt": token})

        cases: list[tuple[str, str | Callable[[], str], dict[str, str], int]] = [
            ("trivial view /healthz/", "/healthz/", {}, 200),
            ("signed-in floor /after-login/", "/after-login/", {"Cookie": cookie_header}, 302),
            ("unchanged poll", "/mechanic/dashboard/pulse/?" + urlencode({"v": pulse}), htmx, 204),
            ("queue panel, 50 queued", shared_panel, htmx, 200),
            ("  panel, checked (no token)", "/mechanic/dashboard/panels/tablist/?tab=incoming", htmx, 200),
            (
                "  panel, filtered: uncached",
                "/mechanic/dashboard/panels/tablist/?tab=incoming&q=Queued",
                htmx,
                200,
            ),
            ("full dashboard", "/mechanic/dashboard/", {"Cookie": cookie_header}, 200),
            ("banner poll, unchanged", banner_poll, {"Cookie": customer_cookie, "HX-Request": "true"}, 204),
            (
                "  banner, checked (no token)",
                banner_checked,
                {"Cookie": customer_cookie, "HX-Request": "true"},
                204,
            ),
        ]

        def url(path: str | Callable[[], str]) -> str:
            return path if isinstance(path, str) else path()

        for name, path, headers, expected in cases:
            status, _, _ = request(port, "GET", url(path), headers=headers)
            assert status == expected, f"{name}: expected {expected}, got {status}"

        print(
            f"\nwrk: {options.rounds} rounds x {options.duration} s per URL, {options.connections} connections, "
            "gunicorn -w 2, loopback\n"
        )
        for _, path, headers, _ in cases:
            run_wrk(base + url(path), headers, duration=1, connections=options.connections)  # warm-up
        samples: dict[str, list[tuple[float, int]]] = {name: [] for name, *_ in cases}
        for _ in range(options.rounds):
            for name, path, headers, _ in cases:
                samples[name].append(
                    run_wrk(
                        base + url(path), headers, duration=options.duration, connections=options.connections
                    )
                )
        trivial = [rps for rps, _ in samples[cases[0][0]]]
        print(f"| {'endpoint':<30} | {'req/s':>7} | {'ratio':>6} | {'target':>10} | errors |")
        print(f"|{'-' * 32}|{'-' * 9}|{'-' * 8}|{'-' * 12}|--------|")
        failed = False
        for name, *_ in cases:
            rps = statistics.median(r for r, _ in samples[name])
            ratio = statistics.median(r / t for (r, _), t in zip(samples[name], trivial, strict=True))
            errors = sum(e for _, e in samples[name])
            target = TARGETS.get(name)
            mark = "" if target is None else f">= {target} " + ("ok" if ratio >= target else "NO")
            failed |= target is not None and ratio < target
            print(f"| {name:<30} | {rps:>7.0f} | {ratio:>5.2f}x | {mark:>10} | {errors:>6} |")
        return 1 if failed else 0
    finally:
        stop_gunicorn(server)
        if not options.keep_db:
            try:
                from django.db import connections

                connections.close_all()
            except Exception:  # noqa: BLE001 - Django may never have been set up
                pass
            drop_database()
            print(f"\nStopped gunicorn and dropped {DB_NAME}.")


if __name__ == "__main__":
    sys.exit(main())
