"""A throwaway PostgreSQL cluster and a real gunicorn in front of it, for the fault tests.

The shared server on 5432 is never touched: the cluster lives in a temporary directory on a free
port, so the tests may restart and stop it at will. initdb and pg_ctl refuse to run as root, so
as root they run as the `postgres` user in a directory that user owns.
"""

import glob
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.servers import REPO, free_port, wait_until_serving

SECRET_KEY = "fault-tests-only-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ"


def postgres_bin_dir() -> Path | None:
    """The newest /usr/lib/postgresql/*/bin with initdb and pg_ctl, else the ones on PATH."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    for directory in reversed(candidates):
        if (Path(directory) / "initdb").exists() and (Path(directory) / "pg_ctl").exists():
            return Path(directory)
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl and Path(initdb).parent == Path(pg_ctl).parent:
        return Path(initdb).parent
    return None


def why_no_cluster() -> str | None:
    """None when a throwaway cluster can be started here, else the reason to skip."""
    if postgres_bin_dir() is None:
        return "no initdb/pg_ctl found"
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return "running as root without runuser"
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres user"
    return None


class ThrowawayCluster:
    def __init__(self) -> None:
        bin_dir = postgres_bin_dir()
        assert bin_dir is not None
        self.bin_dir = bin_dir
        self.dir = Path(tempfile.mkdtemp(prefix="autodoctor-faults-"))
        self.data = self.dir / "data"
        self.log = str(self.dir / "postgres.log")
        self.port = free_port()
        self.as_postgres: list[str] = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
            self.as_postgres = ["runuser", "-u", "postgres", "--"]

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _pg(self, *args: str, timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess:
        command = [*self.as_postgres, *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=check)

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return self._pg(
            str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-w", "-t", "30", *args, check=check
        )

    def init(self) -> None:
        self._pg(
            str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync"
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        # The log file matters: without one the server keeps pg_ctl's stdout open, and waiting
        # for pg_ctl's output would wait for the server to exit.
        self._pg_ctl("-l", self.log, "-o", options, "start")

    def restart_fast(self) -> None:
        """Fast shutdown (every session is terminated mid-transaction), then up again with the
        options it was started with."""
        self._pg_ctl("-l", self.log, "-m", "fast", "restart")

    def stop(self, mode: str = "fast", check: bool = True) -> None:
        self._pg_ctl("-m", mode, "stop", check=check)

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop("immediate", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


class Gunicorn:
    """`python -m gunicorn autodoctor.wsgi`, production settings, on a free port."""

    def __init__(self, env: dict[str, str], log_path: Path, workers: int = 2) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "autodoctor.wsgi",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{self.port}",
            "--no-control-socket",
            "--timeout",
            "30",
            "--graceful-timeout",
            "5",
        ]
        # A process group of its own, so teardown can end the master and its workers together.
        self.process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_until_serving(self, timeout: float = 30) -> None:
        wait_until_serving(self.process, self.base, name="gunicorn", log_tail=self.log_tail, timeout=timeout)

    def worker_pids(self) -> set[int]:
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children")
        if children.exists():
            return {int(p) for p in children.read_text().split()}
        out = subprocess.run(["ps", "--ppid", str(pid), "-o", "pid="], capture_output=True, text=True)
        return {int(p) for p in out.stdout.split()}

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no gunicorn log)"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # gunicorn's quick shutdown
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log.close()


def production_env(database_url: str) -> dict[str, str]:
    """What production mode needs (autodoctor/settings.py), on plain HTTP to 127.0.0.1.

    PLAIN_STATIC: the pages link static files by name; without it the manifest storage wants a
    collectstatic run into the repository's STATIC_ROOT, which nothing here serves anyway."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="autodoctor.settings",
        SECRET_KEY=SECRET_KEY,
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        PLAIN_STATIC="true",
        DB_CONN_HEALTH_CHECKS="true",
        REDIS_URL="",
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        # The load posts far faster than a person chats: no per-user message limit here.
        MESSAGES_PER_MINUTE="1000000",
    )
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout
