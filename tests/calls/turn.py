"""coturn's `turnserver` on 127.0.0.1 for the call tests (and bench/call.py): the REST secret
scheme (use-auth-secret), no TLS, loopback peers allowed, everything under a temporary folder."""

import os
import secrets
import shutil
import socket
import struct
import subprocess
import time
from pathlib import Path

from tests.servers import free_port

TURNSERVER = shutil.which("turnserver") or "/usr/bin/turnserver"
STUN_BINDING_REQUEST, STUN_MAGIC = 0x0001, 0x2112A442


class TurnServer:
    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.secret = secrets.token_hex(16)
        self.url = f"turn:127.0.0.1:{self.port}"
        self.log_path = folder / "turnserver.log"
        command = [
            TURNSERVER, "-n",
            f"--listening-port={self.port}", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
            "--allow-loopback-peers", "--use-auth-secret", f"--static-auth-secret={self.secret}",
            "--realm=autodoctor.test", "--no-tls", "--no-dtls", "--no-cli", "--no-stdout-log",
            f"--log-file={self.log_path}", "--simple-log",
            f"--pidfile={folder / 'turnserver.pid'}", f"--userdb={folder / 'turndb'}",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_until_serving(self, timeout: float = 15) -> None:
        """Until a STUN binding request over UDP is answered (the listener is up)."""
        deadline = time.monotonic() + timeout
        request = struct.pack("!HHI", STUN_BINDING_REQUEST, 0, STUN_MAGIC) + os.urandom(12)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(0.3)
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"turnserver exited with {self.process.returncode}:\n{self.log_tail()}"
                    )
                sock.sendto(request, ("127.0.0.1", self.port))
                try:
                    answer, _ = sock.recvfrom(2048)
                except OSError:
                    continue
                if answer[8:20] == request[8:20]:
                    return
        raise RuntimeError(f"turnserver did not answer within {timeout} s:\n{self.log_tail()}")

    def log_tail(self) -> str:
        logs = sorted(self.log_path.parent.glob("turnserver*.log"))
        return "".join(p.read_text(errors="replace")[-2000:] for p in logs)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
