"""Every HTML page carries an enforced Content-Security-Policy (hardening issue): scripts only from
our origin or with the response's nonce, no inline script, no eval; admin included."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.factories import make_customer, make_mechanic

pytestmark = pytest.mark.django_db


def policy_of(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = [part.strip().split() for part in header.split(";") if part.strip()]
    return {name: values for name, *values in directives}


@pytest.mark.parametrize(
    ("who", "path"),
    [
        (None, "/accounts/login/"),
        ("customer", "/customer/dashboard/"),
        ("customer", "/customer/request/new/"),
        ("mechanic", "/mechanic/dashboard/"),
        ("staff", "/admin/"),
        ("staff", "/admin/sessions_app/session/"),
        ("staff", "/staff/analytics/"),
    ],
)
def test_html_pages_carry_the_enforced_policy(who, path):
    client = Client()
    if who == "customer":
        client.force_login(make_customer("alice").user)
    elif who == "mechanic":
        client.force_login(make_mechanic("mike").user)
    elif who == "staff":
        client.force_login(User.objects.create_superuser("boss", "boss@example.com", "pw-boss-123456"))
    response = client.get(path)
    assert response.status_code == 200
    policy = policy_of(response)
    script = policy["script-src"]
    assert "'self'" in script and any(v.startswith("'nonce-") for v in script)
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert "blob:" in policy["media-src"] and policy["connect-src"] == ["'self'"]
    body = response.content.decode()
    assert "<script>" not in body  # every script is a file (or carries the nonce)


def test_the_nonce_changes_with_every_response():
    first, second = Client().get("/accounts/login/"), Client().get("/accounts/login/")
    assert policy_of(first)["script-src"] != policy_of(second)["script-src"]


def test_a_response_without_a_nonce_gets_the_policy_built_once_and_a_page_gets_its_own_nonce(
    settings, monkeypatch
):
    from django.utils.csp import build_policy

    import autodoctor.middleware

    built = []
    monkeypatch.setattr(autodoctor.middleware, "_built_policies", {})
    monkeypatch.setattr(
        autodoctor.middleware, "build_policy", lambda *args: built.append(args) or build_policy(*args)
    )
    first, second = Client().get("/healthz/"), Client().get("/healthz/")
    assert (
        first["Content-Security-Policy"]
        == second["Content-Security-Policy"]
        == build_policy(settings.SECURE_CSP)
    )
    assert "'nonce-" not in first["Content-Security-Policy"]
    assert len(built) == 1  # built once, not per response
    pages = [policy_of(Client().get("/accounts/login/"))["script-src"] for _ in range(2)]
    assert all(any(v.startswith("'nonce-") for v in script) for script in pages)
    assert pages[0] != pages[1]  # a page that used its nonce still gets its own

    settings.SECURE_CSP = {**settings.SECURE_CSP, "img-src": ["'self'"]}  # another config: built anew
    assert policy_of(Client().get("/healthz/"))["img-src"] == ["'self'"]
