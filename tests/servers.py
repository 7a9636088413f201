"""What the tests that start a real server process (gunicorn for faults, uvicorn for live push)
share: a free loopback port, and waiting until the process answers /healthz/."""

import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(
    process: subprocess.Popen, base: str, *, name: str, log_tail: Callable[[], str], timeout: float = 30
) -> None:
    """Return once `base`/healthz/ answers 200; raise with the server's log if it exits or never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{log_tail()}")
        try:
            with urllib.request.urlopen(base + "/healthz/", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{name} did not answer within {timeout} s:\n{log_tail()}")
