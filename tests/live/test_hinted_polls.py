"""A poll that a push hint triggered names the version it heard of (`lv`): the server must not
answer it "nothing changed" from the version it remembered a moment before the change."""

import pytest

from sessions_app.live import live_version_of, recent_state_version
from sessions_app.selectors import state_version
from tests.factories import make_session

pytestmark = pytest.mark.django_db


def test_a_remembered_version_is_read_again_when_the_page_heard_of_another():
    remembered = recent_state_version()
    make_session()
    assert recent_state_version() == remembered  # within the second: the memo answers
    assert recent_state_version(expect=state_version()) == state_version() != remembered
    assert recent_state_version() == state_version()  # and the memo moved on


def test_the_same_version_costs_no_query(django_assert_num_queries):
    make_session()
    version = recent_state_version(expect=state_version())
    with django_assert_num_queries(0):
        assert recent_state_version(expect=version) == version


@pytest.mark.parametrize(("query", "expected"), [({"lv": "42"}, 42), ({"lv": "x"}, None), ({}, None)])
def test_live_version_of(query, expected):
    assert live_version_of(query) == expected
