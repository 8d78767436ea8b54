"""A private Mosquitto broker on a free local port (demo and end-to-end tests)."""

from __future__ import annotations

from collections.abc import Mapping
import contextlib
from pathlib import Path
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from types import TracebackType
from typing import Self

CANDIDATES = ("mosquitto", "/usr/sbin/mosquitto", "/usr/bin/mosquitto")


def find_mosquitto() -> str | None:
    """Path of the mosquitto executable, or ``None``."""
    for candidate in CANDIDATES:
        if (path := shutil.which(candidate)) is not None:
            return path
    return None


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class Mosquitto:
    """Run ``mosquitto`` on 127.0.0.1 and a free port until stopped."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int | None = None,
        settings: Mapping[str, int | str] | None = None,
    ) -> None:
        """Pick the port; :meth:`start` launches the broker.

        ``settings`` are extra ``mosquitto.conf`` lines, e.g.
        ``{"max_queued_messages": 10000}``.
        """
        self.host = host
        self.port = port or free_port(host)
        self.settings = dict(settings or {})
        self._dir = Path(tempfile.mkdtemp(prefix="flexapi-mosquitto-"))
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        """The broker's log file."""
        return self._dir / "mosquitto.log"

    def start(self, timeout: float = 10.0) -> Self:
        """Start the broker and wait until it accepts connections."""
        executable = find_mosquitto()
        if executable is None:
            raise FileNotFoundError(
                "mosquitto is not installed (apt-get install -y mosquitto)"
            )
        self._dir.mkdir(parents=True, exist_ok=True)  # again after a stop
        config = self._dir / "mosquitto.conf"
        config.write_text(
            f"listener {self.port} {self.host}\n"
            "allow_anonymous true\n"
            "persistence false\n"
            f"log_dest file {self.log_path}\n"
            "log_type error\nlog_type warning\nlog_type notice\n"
            + "".join(f"{key} {value}\n" for key, value in self.settings.items()),
            encoding="utf-8",
        )
        self._process = subprocess.Popen(
            [executable, "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"mosquitto exited with {self._process.returncode}; see {self.log_path}"
                )
            with (
                contextlib.suppress(OSError),
                socket.create_connection((self.host, self.port), timeout=0.2),
            ):
                return self
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"mosquitto did not listen on {self.host}:{self.port}")

    def pause(self) -> None:
        """Freeze the broker (SIGSTOP): connections stay open, nothing is answered.

        A broker (or network) that stops answering without closing the
        connection: clients still think they are connected.
        """
        if self._process is not None:
            self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Let a paused broker run again (SIGCONT); it handles what queued up."""
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        """Stop the broker and remove its files; :meth:`start` may run it again."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> Self:
        """Start on entering a ``with`` block."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop on leaving it."""
        self.stop()
