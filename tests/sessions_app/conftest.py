"""Fixtures for the session-core tests: a fast password hasher and a hand-driven clock."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Every factory user hashes a password; PBKDF2 would make the race tests crawl."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class Clock:
    """Stands in for django.utils.timezone.now, so services, selectors and auto_now fields all
    see the same hand-moved time (no freezegun needed)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """Time stands still until the test moves it with clock.advance(minutes=...)."""
    fixed = Clock(timezone.now().replace(microsecond=0))
    monkeypatch.setattr(timezone, "now", fixed)
    return fixed
