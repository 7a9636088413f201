import pytest

from tests.factories import client_for, make_customer, make_mechanic, plan

from .helpers import completed_session


@pytest.fixture
def alice(db):
    plan("video-30")
    return make_customer("alice", credits=10)


@pytest.fixture
def mike(db):
    return make_mechanic("mike")


@pytest.fixture
def done(alice, mike):
    """A completed video session of alice's with mike."""
    return completed_session(alice, mike)


@pytest.fixture
def alice_client(alice):
    return client_for(alice.user)


@pytest.fixture
def mike_client(mike):
    return client_for(mike.user)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed():` runs the after-commit callbacks (emails, tasks) of what it wraps."""

    def capture():
        return django_capture_on_commit_callbacks(execute=True)

    return capture
