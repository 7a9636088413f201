import os

import pytest

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
