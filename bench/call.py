"""How long a video call takes to connect: N calls, one after another, through the real app.

    .venv/bin/python bench/call.py [--calls 5] [--no-turn] [--keep-db]

What it does (loopback only; about 10 s a call on a 2-core machine):
 1. creates a fresh PostgreSQL database `autodoctor_bench_call` on 127.0.0.1:5432 (trust auth,
    user postgres) and migrates it;
 2. starts coturn's `turnserver` on 127.0.0.1 (the REST secret scheme, as in the tests) and one
    `uvicorn autodoctor.asgi:application` with TURN_SECRET/TURN_URLS and relay-only ICE (with
    --no-turn: no TURN, host candidates, Chromium with --allow-loopback-in-peer-connection);
 3. launches Debian's Chromium with a fake camera and microphone; for each call creates a
    customer, a mechanic and a live video session through the services, opens the customer's
    room, then the mechanic's, and waits until both RTCPeerConnections are `connected`;
 4. prints, per call and as median / min / max: the time from the mechanic opening the room (both
    have joined) to both sides connected, read from the pages' own clocks (navigation start and
    the moment call.js saw "connected"), so the script's polling adds nothing;
 5. drops the database (also on failure; --keep-db keeps it) and stops the servers.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.calls.turn import TurnServer  # noqa: E402 - after the path is set
from tests.live.streams import Uvicorn  # noqa: E402

DB_NAME = "autodoctor_bench_call"
PG = "postgres://postgres@127.0.0.1:5432"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CONNECTED = "() => !!(window.AutoDoctor && AutoDoctor.call && AutoDoctor.call.connectedAt)"


def psql(sql: str) -> None:
    subprocess.run(
        ["psql", f"{PG}/postgres", "-qAt", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True,
        capture_output=True,
    )


def setup_django() -> None:
    os.environ["DATABASE_URL"] = f"{PG}/{DB_NAME}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "autodoctor.settings")
    os.environ["AXES_ENABLED"] = "0"
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs a loop in this thread
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # bench data only
    call_command("migrate", verbosity=0)


def live_session(n: int) -> tuple[str, str, str]:
    """(room URL, customer cookie, mechanic cookie) of a new live video session."""
    from django.test import Client

    from customers.services import customer_create
    from mechanics.services import mechanic_create
    from sessions_app.models import Plan
    from sessions_app.plans import ensure_default_plans
    from sessions_app.services import session_accept, session_create, session_start

    ensure_default_plans()
    customer = customer_create(
        username=f"callcust{n}",
        password="bench-pw-1",
        full_name=f"Caller {n}",
        email=f"c{n}@example.com",
        credits=3,
    )
    mechanic = mechanic_create(username=f"callmech{n}", password="bench-pw-1", email=f"m{n}@example.com")
    session = session_create(
        customer=customer, plan=Plan.objects.get(code="video-30"), pay_with="credits", actor=customer.user
    )
    session = session_accept(assignment=session.assignments.get(status="queued"), mechanic=mechanic)
    session = session_start(session=session, mechanic=mechanic)
    cookies = []
    for user in (customer.user, mechanic.user):
        client = Client()
        client.force_login(user)
        cookies.append(client.cookies["sessionid"].value)
    return session.get_absolute_url(), cookies[0], cookies[1]


def one_call(browser, base: str, url: str, cookies: tuple[str, str], timeout_s: float) -> tuple[float, float]:
    """Seconds from the mechanic's navigation start, and from the mechanic's page saying hello
    (page loaded, call config read), to both sides connected."""
    contexts = []
    try:
        pages = []
        for cookie in cookies:
            context = browser.new_context(base_url=base, permissions=["camera", "microphone"])
            context.add_cookies([{"name": "sessionid", "value": cookie, "url": base}])
            contexts.append(context)
            pages.append(context.new_page())
        customer, mechanic = pages
        customer.goto(url)
        customer.wait_for_function(
            "() => window.AutoDoctor && AutoDoctor.call && AutoDoctor.call.state === 'waiting'"
        )
        mechanic.goto(url)
        for page in pages:
            page.wait_for_function(CONNECTED, timeout=timeout_s * 1000)
        opened = mechanic.evaluate("performance.timeOrigin")
        hello = mechanic.evaluate("AutoDoctor.call.helloAt")
        connected = max(page.evaluate("AutoDoctor.call.connectedAt") for page in pages)
        return (connected - opened) / 1000, (connected - hello) / 1000
    finally:
        for context in contexts:
            context.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=5)
    parser.add_argument("--no-turn", action="store_true", help="host candidates only, no TURN")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a call may take to connect")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    psql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{DB_NAME}"')
    folder = Path(tempfile.mkdtemp(prefix="bench-call-"))
    turn = server = None
    times: list[float] = []
    signalling: list[float] = []
    try:
        setup_django()
        env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")}
        env.update(DATABASE_URL=f"{PG}/{DB_NAME}", DEBUG="1", AXES_ENABLED="0", LOG_LEVEL="WARNING")
        flags = [
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-quic",
            "--use-fake-device-for-media-stream",
        ]
        if args.no_turn:
            flags.append("--allow-loopback-in-peer-connection")
        else:
            turn = TurnServer(folder)
            turn.wait_until_serving()
            env.update(TURN_SECRET=turn.secret, TURN_URLS=turn.url, ICE_TRANSPORT_POLICY="relay")
        server = Uvicorn(env, folder / "uvicorn.log")
        server.wait_until_serving()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=flags)
            for n in range(args.calls):
                url, customer_cookie, mechanic_cookie = live_session(n)
                seconds, after_hello = one_call(
                    browser, server.base, url, (customer_cookie, mechanic_cookie), args.timeout
                )
                times.append(seconds)
                signalling.append(after_hello)
                print(
                    f"call {n + 1}: mechanic opens the room -> both connected {seconds:.2f} s "
                    f"(from the mechanic's hello {after_hello:.2f} s)",
                    flush=True,
                )
            browser.close()
    finally:
        if server is not None:
            server.stop()
        if turn is not None:
            turn.stop()
        from django.db import connections

        connections.close_all()
        if not args.keep_db:
            psql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        shutil.rmtree(folder, ignore_errors=True)

    path = "host candidates (no TURN)" if args.no_turn else "through TURN (relay only)"
    load = os.getloadavg()[0]
    print(f"\n{len(times)} calls {path}, load average {load:.1f} on {os.cpu_count()} CPUs:")
    for label, values in (("room opened -> connected", times), ("hello -> connected", signalling)):
        print(
            f"  {label}: median {statistics.median(values):.2f} s, "
            f"min {min(values):.2f} s, max {max(values):.2f} s"
        )


if __name__ == "__main__":
    main()
