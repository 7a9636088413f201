"""A real uvicorn (autodoctor.asgi) against the test database: pytest-django's live_server is
WSGI and cannot serve an endless stream."""

from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from tests.live.streams import SSEReader, Uvicorn, server_env


@pytest.fixture
def live_uvicorn(transactional_db, tmp_path):
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite" and "memory" in str(settings_dict["NAME"]):
        pytest.skip("an in-memory SQLite test database cannot be shared with a server process")
    server = Uvicorn(server_env(settings_dict), tmp_path / "uvicorn.log")
    try:
        server.wait_until_serving()
        yield server
    finally:
        server.stop()


def session_cookie(user) -> str:
    """A signed-in browser's cookie for `user` (the session row is committed: transactional_db)."""
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


@pytest.fixture
def open_stream(live_uvicorn):
    readers: list[SSEReader] = []

    def _open(path: str, user=None, **kwargs) -> SSEReader:
        reader = SSEReader(live_uvicorn.base, path, cookie=session_cookie(user) if user else "", **kwargs)
        readers.append(reader)
        return reader

    yield _open
    for reader in readers:
        reader.close()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, as in tests/e2e."""
    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install -y chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture
def live_page(browser, live_uvicorn):
    """live_page(user, safety_net_ms=60000): a signed-in page on the uvicorn server whose polls
    run only every `safety_net_ms` while its stream is open."""
    contexts = []

    def _page(user, *, safety_net_ms: int = 60_000):
        context = browser.new_context(base_url=live_uvicorn.base)
        contexts.append(context)
        name, _, value = session_cookie(user).partition("=")
        context.add_cookies([{"name": name, "value": value, "url": live_uvicorn.base}])
        context.add_init_script(f"window.AutoDoctorSafetyNetMs = {int(safety_net_ms)};")
        return context.new_page()

    yield _page
    for context in contexts:
        context.close()
