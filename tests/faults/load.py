"""Signed-in people talking real HTTP to gunicorn, and a bounded, paced load of chat posts.

Cookies are kept by hand: production cookies are `Secure`, and a cookie jar would not send them
over the plain HTTP these tests speak to 127.0.0.1. Every request opens its own connection with a
timeout; no answer (timeout, reset) is recorded, never retried.
"""

import http.client
import json
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode

ANSWERED = {200, 201, 204, 302, 409, 503}
REQUEST_TIMEOUT = 10.0


@dataclass
class Outcome:
    user: str
    kind: str  # "post" (a chat message) or "read" (a JSON API read)
    path: str
    started: float
    finished: float
    status: int | None = None  # None: no HTTP answer at all
    error: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    message: str = ""  # the unique chat body, for posts

    @property
    def acknowledged(self) -> bool:
        """The room's htmx answer to a stored message: 204 + the chat-refresh event."""
        return (
            self.kind == "post"
            and self.status == 204
            and "chat-refresh" in self.headers.get("hx-trigger", "")
        )


class Person:
    def __init__(self, port: int, username: str) -> None:
        self.port = port
        self.username = username
        self.cookies: dict[str, str] = {}

    def request(
        self,
        method: str,
        path: str,
        *,
        form: dict[str, str] | None = None,
        payload: Any = None,
        headers: dict[str, str] | None = None,
        kind: str = "",
    ) -> Outcome:
        sent = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
        body: bytes | None = None
        if form is not None:
            body = urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        elif payload is not None:
            body = json.dumps(payload).encode()
            sent["Content-Type"] = "application/json"
        if method != "GET" and "csrftoken" in self.cookies:
            sent["X-CSRFToken"] = self.cookies["csrftoken"]
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        outcome = Outcome(self.username, kind, path, started=time.monotonic(), finished=0.0)
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            outcome.body = response.read()
            outcome.status = response.status
            outcome.headers = {k.lower(): v for k, v in response.getheaders()}
            self._keep_cookies(response.msg.get_all("Set-Cookie") or [])
        except (OSError, http.client.HTTPException) as exc:
            outcome.error = type(exc).__name__
        finally:
            connection.close()
            outcome.finished = time.monotonic()
        return outcome

    def _keep_cookies(self, set_cookies: list[str]) -> None:
        for header in set_cookies:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def json(self, method: str, path: str, payload: Any = None) -> Any:
        outcome = self.request(method, path, payload=payload)
        assert outcome.status == 200, (method, path, outcome.status, outcome.error, outcome.body[:300])
        return json.loads(outcome.body)

    def login(self, password: str) -> None:
        page = self.request("GET", "/accounts/login/")
        assert page.status == 200 and "csrftoken" in self.cookies, (page.status, page.error)
        form = {
            "username": self.username,
            "password": password,
            "csrfmiddlewaretoken": self.cookies["csrftoken"],
        }
        done = self.request("POST", "/accounts/login/", form=form)
        assert done.status == 302 and "sessionid" in self.cookies, (done.status, done.body[:300])


@dataclass
class Poster:
    """Someone in a live session's room: posts messages there and reads their own API."""

    person: Person
    session_id: int
    read_path: str

    def post(self, message: str) -> Outcome:
        """A chat message the way the room's form sends it with htmx."""
        outcome = self.person.request(
            "POST",
            f"/sessions/{self.session_id}/messages/",
            form={"body": message},
            headers={"HX-Request": "true"},
            kind="post",
        )
        outcome.message = message
        return outcome

    def read(self) -> Outcome:
        return self.person.request("GET", self.read_path, kind="read")


def run_load(
    posters: list[Poster], *, tag: str, requests_each: int, interval: float, slack: float = 20.0
) -> list[Outcome]:
    """Each poster sends `requests_each` requests on a fixed schedule (one every `interval`
    seconds, or back to back when answers are slower), alternating a chat post with a unique
    body and a JSON read. Bounded in count, and in time: nothing new is sent after `slack`
    seconds past the schedule (the caller sees fewer outcomes than planned)."""
    results: list[list[Outcome]] = [[] for _ in posters]
    start = time.monotonic() + 0.05
    stop_sending = start + requests_each * interval + slack

    def work(index: int, poster: Poster) -> None:
        for k in range(requests_each):
            if time.monotonic() > stop_sending:
                return
            delay = start + k * interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            outcome = poster.post(f"{tag}-{poster.person.username}-{k}") if k % 2 == 0 else poster.read()
            results[index].append(outcome)

    threads = [threading.Thread(target=work, args=(i, p), daemon=True) for i, p in enumerate(posters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, stop_sending - time.monotonic()) + REQUEST_TIMEOUT + 5)
        assert not thread.is_alive(), "a load thread outlived its time budget"
    return [outcome for per_poster in results for outcome in per_poster]
