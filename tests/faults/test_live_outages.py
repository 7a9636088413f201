"""Faults under load, end to end: a real gunicorn (production settings, 2 workers) on a throwaway
PostgreSQL cluster, real HTTP from signed-in people posting chat messages and reading the API.

- The database restarts (fast), then stops for about a second and starts again: every request
  gets an HTTP answer (503 + Retry-After while the database is away, never a 500, never a reset),
  /readyz/ says 503 while it is down and 200 after, and every acknowledged message is stored
  exactly once.
- A gunicorn worker is SIGKILLed: at most the one request it was serving goes unanswered (not
  acknowledged, so nothing is owed), the master replaces the worker, everything acknowledged is
  stored exactly once.

Nothing of ours is patched here; the shared server on 5432 is never touched.
"""

import json
import os
import signal
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import psycopg
import pytest
from django.conf import settings

from .load import ANSWERED, Outcome, Person, Poster, run_load
from .throwaway import Gunicorn, ThrowawayCluster, manage, production_env, why_no_cluster

NO_CLUSTER = why_no_cluster()
pytestmark = [
    pytest.mark.faults,
    pytest.mark.postgres,
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="fault tests need DATABASE_URL on PostgreSQL",
    ),
    pytest.mark.skipif(NO_CLUSTER is not None, reason=f"no throwaway PostgreSQL cluster: {NO_CLUSTER}"),
]

DATABASE = "autodoctor_faults"
DEMO_PASSWORD = "autodoctor"  # seed_demo's
REQUESTS_EACH = 150  # per person; four people
INTERVAL = 0.04  # seconds between one person's requests: the load spans about 6 s
RESET_ERRORS = {"RemoteDisconnected", "ConnectionResetError", "BrokenPipeError", "IncompleteRead"}


@dataclass
class LiveStack:
    cluster: ThrowawayCluster
    server: Gunicorn
    database_url: str
    posters: list[Poster]


def open_live_rooms(port: int) -> list[Poster]:
    """seed_demo leaves bob's request waiting with max and carol's in the queue: max starts
    bob's, maria accepts and starts carol's, through the API as they would."""
    people = {name: Person(port, name) for name in ("bob", "carol", "max", "maria")}
    for person in people.values():
        person.login(DEMO_PASSWORD)
    (bobs,) = people["max"].json("GET", "/api/mechanic/active-sessions")["sessions"]
    assert bobs["customer_name"].startswith("Bob"), bobs
    people["max"].json("POST", f"/api/sessions/{bobs['id']}/start")
    (carols_request,) = people["maria"].json("GET", "/api/mechanic/queue")["assignments"]
    carols = people["maria"].json("POST", carols_request["accept_url"])["session"]
    people["maria"].json("POST", f"/api/sessions/{carols['id']}/start")
    for customer, session in (("bob", bobs), ("carol", carols)):
        active = people[customer].json("GET", "/api/customer/active-session")["session"]
        assert active["id"] == session["id"] and active["status"] == "live", active
    customer_read, mechanic_read = "/api/customer/active-session", "/api/mechanic/active-sessions"
    return [
        Poster(people["bob"], bobs["id"], customer_read),
        Poster(people["max"], bobs["id"], mechanic_read),
        Poster(people["carol"], carols["id"], customer_read),
        Poster(people["maria"], carols["id"], mechanic_read),
    ]


@pytest.fixture(scope="module")
def live_stack() -> Iterator[LiveStack]:
    cluster = ThrowawayCluster()
    server: Gunicorn | None = None
    try:
        cluster.init()
        cluster.start()
        with psycopg.connect(cluster.url("postgres"), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {DATABASE}")
        env = production_env(cluster.url(DATABASE))
        manage(env, "migrate", "--no-input")
        manage(env, "seed_demo")
        server = Gunicorn(env, cluster.dir / "gunicorn.log")
        server.wait_until_serving()
        yield LiveStack(cluster, server, cluster.url(DATABASE), open_live_rooms(server.port))
    finally:
        if server is not None:
            server.stop()
        cluster.remove()


def stored_messages(database_url: str, tag: str) -> Counter[str]:
    with psycopg.connect(database_url) as connection:
        rows = connection.execute(
            "SELECT body, count(*) FROM sessions_app_sessionmessage WHERE body LIKE %s GROUP BY body",
            [f"{tag}-%"],
        ).fetchall()
    return Counter({body: count for body, count in rows})


def check_writes(outcomes: list[Outcome], stored: Counter[str]) -> dict[str, int]:
    """Every acknowledged message is stored exactly once; nothing is stored twice."""
    acknowledged = {o.message for o in outcomes if o.acknowledged}
    missing = sorted(acknowledged - set(stored))
    assert not missing, f"acknowledged but not stored: {missing[:5]} (+{max(0, len(missing) - 5)})"
    doubled = {body: n for body, n in stored.items() if n != 1}
    assert not doubled, f"stored more than once: {doubled}"
    posted = {o.message for o in outcomes if o.kind == "post"}
    assert set(stored) <= posted
    toasts = [o for o in outcomes if o.kind == "post" and o.status == 204 and not o.acknowledged]
    assert not toasts, f"posts refused by the room: {[o.headers.get('hx-trigger') for o in toasts[:3]]}"
    return {
        "posts": len(posted),
        "acknowledged": len(acknowledged),
        "found": len(acknowledged & set(stored)),
        "stored_unacknowledged": len(set(stored) - acknowledged),
    }


def check_503s(outcomes: list[Outcome]) -> None:
    """An outage answer says when to come back; the API's is JSON, the room's a small page."""
    for o in outcomes:
        if o.status != 503:
            continue
        assert o.headers.get("retry-after") == "5", o.headers
        if o.path.startswith("/api/"):
            assert json.loads(o.body)["error"] == "service_unavailable", o.body[:200]
        else:
            assert b"Back in a moment" in o.body, o.body[:200]


def status_counts(outcomes: list[Outcome]) -> dict[str, int]:
    counts = Counter(str(o.status) if o.status else f"no answer ({o.error})" for o in outcomes)
    return dict(sorted(counts.items()))


def readyz(probe: Person) -> int | None:
    return probe.request("GET", "/readyz/").status


def test_database_restart_and_stop_under_load(live_stack: LiveStack, fault_report: list[str]):
    cluster, port = live_stack.cluster, live_stack.server.port
    probe = Person(port, "load-balancer")
    tag = f"restart-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(max_workers=1) as pool:
        load = pool.submit(
            run_load, live_stack.posters, tag=tag, requests_each=REQUESTS_EACH, interval=INTERVAL
        )
        time.sleep(1.0)
        ready_before = readyz(probe)
        cluster.restart_fast()
        time.sleep(0.5)
        cluster.stop()
        try:
            ready_while_down = []
            for _ in range(5):
                ready_while_down.append(readyz(probe))
                time.sleep(0.2)
        finally:
            cluster.start()
        up_at = time.monotonic()
        ready_after = None
        while ready_after != 200 and time.monotonic() - up_at < 15:
            ready_after = readyz(probe)
            time.sleep(0.1)
        seconds_to_ready = time.monotonic() - up_at
        outcomes = load.result(timeout=120)
    statuses = status_counts(outcomes)
    fault_report.append(
        f"database restart + 1 s stop: {len(outcomes)} requests, statuses {statuses}; "
        f"readyz before {ready_before}, while stopped {ready_while_down}, "
        f"200 again {seconds_to_ready:.1f} s after start"
    )
    log = live_stack.server.log_tail()

    assert len(outcomes) == REQUESTS_EACH * len(live_stack.posters), "the load did not finish"
    unanswered = [o for o in outcomes if o.status is None]
    assert not unanswered, f"{len(unanswered)} request(s) got no HTTP answer: {statuses}\n{log}"
    assert set(Counter(o.status for o in outcomes)) <= ANSWERED, f"{statuses}\n{log}"
    assert statuses.get("503", 0) > 0, "the load never met the outage: the test proved nothing"
    check_503s(outcomes)
    assert ready_before == 200
    assert ready_while_down and set(ready_while_down) == {503}, ready_while_down
    assert ready_after == 200, f"/readyz/ still {ready_after} 15 s after the database came back"
    # Back to normal: each person's next message goes through (a connection the restart broke
    # is replaced, not reused).
    after = [poster.post(f"{tag}-after-{poster.person.username}") for poster in live_stack.posters]
    assert all(o.acknowledged for o in after), [(o.status, o.error) for o in after]
    writes = check_writes(outcomes + after, stored_messages(live_stack.database_url, tag))
    recovered = sum(o.acknowledged and o.started > up_at for o in outcomes)
    fault_report.append(
        f"database restart + 1 s stop: writes {writes}; {recovered} acknowledged during the load after restart"
    )


def test_worker_sigkill_under_load(live_stack: LiveStack, fault_report: list[str]):
    server = live_stack.server
    tag = f"sigkill-{uuid.uuid4().hex[:8]}"
    workers_before = server.worker_pids()
    assert len(workers_before) == 2, workers_before
    with ThreadPoolExecutor(max_workers=1) as pool:
        load = pool.submit(
            run_load, live_stack.posters, tag=tag, requests_each=REQUESTS_EACH, interval=INTERVAL
        )
        time.sleep(1.5)
        victim = min(workers_before)
        os.kill(victim, signal.SIGKILL)
        killed_at = time.monotonic()
        workers_after = server.worker_pids()
        while (victim in workers_after or len(workers_after) < 2) and time.monotonic() - killed_at < 15:
            time.sleep(0.1)
            workers_after = server.worker_pids()
        replaced_in = time.monotonic() - killed_at
        outcomes = load.result(timeout=120)
    stored = stored_messages(live_stack.database_url, tag)
    statuses = status_counts(outcomes)
    lost = [o for o in outcomes if o.status is None]
    fault_report.append(
        f"worker SIGKILL: {len(outcomes)} requests, statuses {statuses}; "
        f"lost in flight (not acknowledged) {len(lost)}; worker replaced in {replaced_in:.1f} s"
    )
    log = server.log_tail()

    assert len(outcomes) == REQUESTS_EACH * len(live_stack.posters), "the load did not finish"
    assert victim not in workers_after and len(workers_after) == 2, (workers_before, workers_after)
    # A sync worker serves one request at a time: only that one can go unanswered.
    assert len(lost) <= 1, f"{statuses}\n{log}"
    assert all(o.error in RESET_ERRORS for o in lost), [o.error for o in lost]
    assert set(Counter(o.status for o in outcomes if o.status is not None)) <= ANSWERED, f"{statuses}\n{log}"
    check_503s(outcomes)
    served_after = [o for o in outcomes if o.acknowledged and o.started > killed_at]
    assert served_after, "nothing was acknowledged after the kill"
    assert readyz(Person(server.port, "load-balancer")) == 200
    writes = check_writes(outcomes, stored)
    fault_report.append(f"worker SIGKILL: writes {writes}")
