"""coturn's REST credentials (use-auth-secret) and the ICE servers a page gets."""

import base64
import hashlib
import hmac

from calls.ice import ice_servers_for, turn_credentials


def test_turn_credentials_follow_coturns_rest_scheme():
    username, credential = turn_credentials(secret="north", user_id=42, ttl_seconds=3600, now=1_700_000_000.7)
    assert username == "1700003600:42"  # expiry (unix time), then the user
    expected = base64.b64encode(hmac.new(b"north", b"1700003600:42", hashlib.sha1).digest()).decode()
    assert credential == expected
    # A known vector (computed once with `printf %s 1700003600:42 | openssl dgst -sha1 -hmac north -binary | base64`).
    assert credential == "WO3ZFttCQxBYtA2Ohz7jjGcQStA="


def test_a_different_user_or_secret_gets_a_different_credential():
    _, one = turn_credentials(secret="north", user_id=1, ttl_seconds=60, now=0)
    _, two = turn_credentials(secret="north", user_id=2, ttl_seconds=60, now=0)
    _, three = turn_credentials(secret="south", user_id=1, ttl_seconds=60, now=0)
    assert len({one, two, three}) == 3


def test_without_settings_there_are_no_ice_servers(settings):
    settings.ICE_SERVERS, settings.TURN_SECRET, settings.TURN_URLS = [], "", []
    assert ice_servers_for(user_id=1, now=0) == []  # host candidates only: one machine or a LAN


def test_configured_servers_come_first_then_our_turn_with_per_user_credentials(settings):
    settings.ICE_SERVERS = [{"urls": "stun:stun.example.com:3478"}]
    settings.TURN_SECRET = "north"
    settings.TURN_URLS = ["turn:turn.example.com:3478", "turn:turn.example.com:3478?transport=tcp"]
    settings.TURN_TTL_SECONDS = 600
    servers = ice_servers_for(user_id=7, now=1000)
    assert servers[0] == {"urls": "stun:stun.example.com:3478"}
    assert servers[1]["urls"] == ["turn:turn.example.com:3478", "turn:turn.example.com:3478?transport=tcp"]
    assert servers[1]["username"] == "1600:7"
    assert (
        servers[1]["credential"] == turn_credentials(secret="north", user_id=7, ttl_seconds=600, now=1000)[1]
    )
    settings.TURN_URLS = []  # a secret without a server to use it with: no TURN entry
    assert ice_servers_for(user_id=7, now=1000) == [{"urls": "stun:stun.example.com:3478"}]
