"""The README's run command, started on a fresh clone, serves the login page and the admin with
the demo data (and starts the scheduler)."""

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def running_app(tmp_path):
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    clone = tmp_path / "autodoctor"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True, timeout=120)
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_URL", "DJANGO_", "PYTEST", "VIRTUAL_ENV"))
    }
    env.update(PORT=str(port), PYTHONUNBUFFERED="1")
    log = open(tmp_path / "run.log", "w")  # noqa: SIM115 (closed in the finally below)
    proc = subprocess.Popen(
        ["scripts/run"], cwd=clone, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            urllib.request.urlopen(f"{base}/accounts/login/", timeout=2)
            break
        except OSError:
            time.sleep(1)
    try:
        yield base, clone, tmp_path / "run.log", proc.pid
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def test_run_command_serves_login_and_admin_with_demo_data(running_app):
    base, clone, log, group = running_app
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login = opener.open(f"{base}/accounts/login/", timeout=10)
    assert login.status == 200, log.read_text()
    page = login.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode(
        {"username": "admin", "password": "autodoctor", "csrfmiddlewaretoken": token}
    )
    request = urllib.request.Request(f"{base}/accounts/login/", data=data.encode(), headers={"Referer": base})
    opener.open(request, timeout=10)
    admin = opener.open(f"{base}/admin/sessions_app/session/", timeout=10).read().decode()
    assert "Select session to change" in admin
    assert "Alice Anderson" in admin and "Carol Chen" in admin
    mechanics = opener.open(f"{base}/admin/mechanics/mechanic/", timeout=10).read().decode()
    assert "Maria Lopez" in mechanics and "Downtown Garage" in mechanics
    # The scheduler came up with its schedules installed by migrate.
    schedules = opener.open(f"{base}/admin/django_q/schedule/", timeout=10).read().decode()
    assert "expire-stale-sessions" in schedules
    assert (clone / "db.sqlite3").exists()
    deadline = time.monotonic() + 30

    def cluster_running() -> bool:
        rows = subprocess.run(
            ["ps", "-eo", "pgid=,args="], capture_output=True, text=True
        ).stdout.splitlines()
        return any(row.split(None, 1)[0] == str(group) and "qcluster" in row for row in rows)

    while not cluster_running():
        assert time.monotonic() < deadline, "the django-q2 cluster did not start"
        time.sleep(1)
