"""Helpers for the live tests: a LISTEN probe, a uvicorn server and an SSE reader."""

import contextlib
import http.client
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from tests.servers import REPO, free_port, wait_until_serving


class ListenProbe:
    """A plain psycopg connection LISTENing on a channel (what the broker hears, unprocessed)."""

    def __init__(self, params: dict[str, Any], channel: str) -> None:
        self.conn = psycopg.Connection.connect(**params, autocommit=True)
        self.conn.execute(f'LISTEN "{channel}"')

    def hints(self, wait: float = 0.5) -> list[dict]:
        return [json.loads(n.payload) for n in self.conn.notifies(timeout=wait)]

    def close(self) -> None:
        self.conn.close()


class Uvicorn:
    """`uvicorn autodoctor.asgi:application` on a free port, against the test database."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        command = [
            sys.executable, "-m", "uvicorn", "autodoctor.asgi:application",
            "--host", "127.0.0.1", "--port", str(self.port),
            "--timeout-graceful-shutdown", "2", "--log-level", "warning",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_until_serving(self, timeout: float = 30) -> None:
        wait_until_serving(self.process, self.base, name="uvicorn", log_tail=self.log_tail, timeout=timeout)

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


@dataclass
class Event:
    event: str
    id: str | None
    data: Any


class SSEReader:
    """Reads one event stream in a thread; events() / next() hand over what has arrived."""

    def __init__(self, base: str, path: str, *, cookie: str = "", last_event_id: str | None = None) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=30)
        headers = {"Accept": "text/event-stream", "Cookie": cookie}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        self.conn.request("GET", path, headers=headers)
        self.response = self.conn.getresponse()
        self.status = self.response.status
        self.headers = {k.lower(): v for k, v in self.response.getheaders()}
        self.retry: int | None = None
        self.first: Event | None = None  # the "hello" or catch-up "refetch" every stream starts with
        self.last_id: str | None = None
        self.comments: list[str] = []
        self._events: queue.Queue[Event] = queue.Queue()
        self.opened = threading.Event()
        if self.status == 200:
            threading.Thread(target=self._read, daemon=True).start()
            self.opened.wait(5)

    def _read(self) -> None:
        fields: dict[str, str] = {}
        try:
            for raw in self.response:
                line = raw.decode().rstrip("\r\n")
                if line.startswith(":"):
                    self.comments.append(line)
                elif line:
                    name, _, value = line.partition(":")
                    fields[name] = value.removeprefix(" ")
                else:
                    if "retry" in fields:
                        self.retry = int(fields["retry"])
                    if "id" in fields:
                        self.last_id = fields["id"]
                    if "data" in fields:
                        event = Event(
                            fields.get("event", "message"), fields.get("id"), json.loads(fields["data"])
                        )
                        if self.first is None:
                            self.first = event
                        else:
                            self._events.put(event)
                    self.opened.set()
                    fields = {}
        except (OSError, ValueError, AttributeError, http.client.HTTPException):  # closed by the test
            pass

    def next(self, timeout: float = 5) -> Event:
        return self._events.get(timeout=timeout)

    def events(self, wait: float = 1.0) -> list[Event]:
        """Everything that arrives within `wait` seconds."""
        time.sleep(wait)
        found = []
        while True:
            try:
                found.append(self._events.get_nowait())
            except queue.Empty:
                return found

    def close(self) -> None:
        # Shut the socket first: close() alone waits for the reading thread's buffered read.
        if self.conn.sock is not None:
            with contextlib.suppress(OSError):
                self.conn.sock.shutdown(socket.SHUT_RDWR)
        self.conn.close()


def server_env(database_settings: dict[str, Any]) -> dict[str, str]:
    """The environment of a server process that uses the test database."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY"}}
    env.update({"AXES_ENABLED": "0", "DJANGO_SETTINGS_MODULE": "autodoctor.settings", "DEBUG": "1"})
    if database_settings["ENGINE"].endswith("postgresql"):
        user = database_settings.get("USER") or "postgres"
        password = database_settings.get("PASSWORD") or ""
        auth = f"{user}:{password}@" if password else f"{user}@"
        host = database_settings.get("HOST") or "127.0.0.1"
        port = database_settings.get("PORT") or 5432
        env["DATABASE_URL"] = f"postgres://{auth}{host}:{port}/{database_settings['NAME']}"
    else:
        env["SQLITE_PATH"] = str(database_settings["NAME"])
    return env
