import os
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _tasks_run_inline(settings):
    """django-q2 tasks run in-process (override_settings does not reach django_q's Conf)."""
    from django_q.conf import Conf

    old = Conf.SYNC
    Conf.SYNC = True
    settings.AXES_ENABLED = False
    yield
    Conf.SYNC = old


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Every factory user hashes a password; PBKDF2 would make the bulk and race tests crawl."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_caches():
    """The mechanic dashboard caches by state version, and ids (so versions) repeat across
    rolled-back tests on SQLite: every test starts with an empty cache and no remembered version."""
    from django.core.cache import cache

    from sessions_app.live import forget_recent_state_version

    cache.clear()
    forget_recent_state_version()
    yield
    cache.clear()
    forget_recent_state_version()


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


@pytest.fixture
def on_postgres():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


def pytest_collection_modifyitems(items):
    """Everything under tests/e2e/ is a browser test (`-m "not e2e"` leaves them out)."""
    for item in items:
        if "/e2e/" in str(item.path):
            item.add_marker(pytest.mark.e2e)


# Every page of every browser test reports Content-Security-Policy violations here; a test that
# caused one fails (the policy is enforced in the tests, as in production).
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__reportCspViolation({
    directive: event.effectiveDirective, blocked: event.blockedURI, source: event.sourceFile,
    line: event.lineNumber, sample: event.sample, page: location.pathname,
  });
});
"""


@pytest.fixture(autouse=True)
def csp_violations(request):
    """Collects CSP violations from every context the test opens; fails the test on any."""
    if "browser" not in request.fixturenames and "page" not in request.fixturenames:
        yield []
        return
    browser = request.getfixturevalue("browser")
    found: list[dict] = []
    original = browser.new_context

    def new_context(*args, **kwargs):
        context = original(*args, **kwargs)
        context.expose_binding("__reportCspViolation", lambda _source, violation: found.append(violation))
        context.add_init_script(CSP_LISTENER)
        return context

    browser.new_context = new_context
    try:
        yield found
    finally:
        del browser.new_context
    assert found == [], f"Content-Security-Policy violations: {found}"
