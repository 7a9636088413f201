"""A real uvicorn (autodoctor.asgi) against the test database: pytest-django's live_server is
WSGI and cannot serve an endless stream."""

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
