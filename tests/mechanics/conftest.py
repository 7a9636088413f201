"""Fixtures for the mechanic dashboard tests."""

import re
from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import make_mechanic

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Every factory user hashes a password; PBKDF2 would make the 500-request tests crawl."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    """The shared queue fragment is keyed by state version; ids (and so versions) repeat across
    rolled-back tests on SQLite, so each test starts with an empty cache."""
    from django.core.cache import cache

    from mechanics.selectors import forget_recent_state_version

    cache.clear()
    forget_recent_state_version()
    yield
    cache.clear()
    forget_recent_state_version()


class Clock:
    """Stands in for timezone.now so services, selectors and auto_now fields share one time."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fixed = Clock(timezone.now().replace(microsecond=0))
    monkeypatch.setattr(timezone, "now", fixed)
    return fixed


@pytest.fixture
def mechanic(db):
    return make_mechanic("mike")


@pytest.fixture
def mech_client(mechanic) -> Client:
    client = Client()
    client.force_login(mechanic.user)
    return client


def pulse_token_in(html: str) -> str:
    """The `v` token the dashboard handed to its pulse poller."""
    match = re.search(r'dashboard/pulse/\?v=([^"&]+)"', html)
    assert match, "the page has no pulse poller"
    from urllib.parse import unquote

    return unquote(match.group(1))
