"""Call tests: coturn on loopback, uvicorn (the room's live stream), and Chromium with a fake
camera and microphone (one browser of our own: tests/e2e's is launched without them)."""

import shutil
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from tests.calls.turn import TURNSERVER, TurnServer
from tests.conftest import CSP_LISTENER
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.live.streams import Uvicorn, server_env

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
MEDIA_FLAGS = ["--use-fake-device-for-media-stream"]  # camera and mic exist; permission is per context


@pytest.fixture
def turn_server(tmp_path):
    if not Path(TURNSERVER).exists():
        pytest.skip("coturn is not installed (apt-get install -y coturn; scripts/test does it)")
    server = TurnServer(tmp_path)
    try:
        server.wait_until_serving()
        yield server
    finally:
        server.stop()


@pytest.fixture
def call_server(transactional_db, tmp_path, turn_server):
    """uvicorn against the test database, with TURN credentials and relay-only ICE: a call that
    connects here went through coturn."""
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite" and "memory" in str(settings_dict["NAME"]):
        pytest.skip("an in-memory SQLite test database cannot be shared with a server process")
    env = server_env(settings_dict)
    env.update(
        {"TURN_SECRET": turn_server.secret, "TURN_URLS": turn_server.url, "ICE_TRANSPORT_POLICY": "relay"}
    )
    server = Uvicorn(env, tmp_path / "uvicorn.log")
    try:
        server.wait_until_serving()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def call_browser(playwright):
    if not Path(CHROMIUM).exists() or not shutil.which(CHROMIUM):
        pytest.skip("Chromium is not installed (apt-get install -y chromium)")
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS + MEDIA_FLAGS
    )
    yield browser
    browser.close()


@pytest.fixture
def call_page(call_browser, call_server):
    """call_page(user, media=True, **context options): a signed-in page on the call server. With
    media=False the context has no camera/microphone permission (the browser refuses them).
    Fails the test on any Content-Security-Policy violation, as tests/conftest.py does."""
    contexts, violations = [], []

    def _page(user, *, media: bool = True, **options):
        context = call_browser.new_context(
            base_url=call_server.base, permissions=["camera", "microphone"] if media else [], **options
        )
        contexts.append(context)
        context.expose_binding(
            "__reportCspViolation", lambda _source, violation: violations.append(violation)
        )
        context.add_init_script(CSP_LISTENER)
        client = Client()
        client.force_login(user)
        cookie = client.cookies["sessionid"].value
        context.add_cookies([{"name": "sessionid", "value": cookie, "url": call_server.base}])
        return context.new_page()

    yield _page
    for context in contexts:
        context.close()
    assert violations == [], f"Content-Security-Policy violations: {violations}"


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
