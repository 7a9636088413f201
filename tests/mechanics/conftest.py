"""Fixtures for the mechanic dashboard tests."""

import re

import pytest
from django.test import Client

from tests.factories import make_mechanic

HTMX = {"HX-Request": "true"}


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
