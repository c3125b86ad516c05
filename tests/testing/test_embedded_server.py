"""The embedded server launcher: its own process and storage, context managers, restart, a
clear error when it is not installed, and no server left behind when its owner dies, however it
dies. Each test starts servers of its own (not the session's)."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient

from aiomotorengine import Document, StringField, connect
from aiomotorengine.connection import disconnect_all
from aiomotorengine.testing import EmbeddedServer, EmbeddedServerUnavailable


class Memo(Document):
    __collection__ = "memos"
    text = StringField()


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ping(uri: str) -> float:
    with MongoClient[dict[str, Any]](uri, serverSelectionTimeoutMS=5000) as client:
        return float(client.admin.command("ping")["ok"])


def test_start_and_stop_by_its_own_pid() -> None:
    server = EmbeddedServer().start()
    pid, port, storage = server.pid, server.port, server.storage_path
    assert pid is not None and port is not None and storage is not None
    try:
        assert server.running and process_exists(pid)
        assert Path(storage).is_dir()
        assert ping(server.uri) == 1
    finally:
        server.stop()
    assert not server.running
    assert not process_exists(pid)  # stopped and reaped
    assert not Path(storage).exists()  # storage removed
    assert port_is_free(port)
    with pytest.raises(RuntimeError, match="not started"):
        server.uri  # noqa: B018


def test_a_given_port_and_storage_path_are_used_and_the_storage_kept(tmp_path: Path) -> None:
    port, storage = free_port(), tmp_path / "kept"
    server = EmbeddedServer(port=port, storage_path=str(storage)).start()
    try:
        assert server.uri == f"mongodb://127.0.0.1:{port}/"
        with MongoClient[dict[str, Any]](server.uri) as client:
            client["keep"]["memos"].insert_one({"text": "kept"})
    finally:
        server.stop()
    assert (storage / "data").is_dir()  # created, used and kept
    assert server.port == port and server.storage_path == str(storage)
    with pytest.raises(RuntimeError, match="not started"):
        server.uri  # noqa: B018


def test_a_hung_server_is_killed_after_the_stop_timeout() -> None:
    server = EmbeddedServer(stop_timeout=0.5).start()
    pid = server.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)  # it can no longer act on SIGTERM: stop() must SIGKILL it
    server.stop()
    assert not process_exists(pid)


def test_sync_context_manager_and_restart_keep_port_and_data() -> None:
    with EmbeddedServer() as server:
        port, storage = server.port, server.storage_path
        assert storage is not None
        with MongoClient[dict[str, Any]](server.uri) as client:
            client["keep"]["memos"].insert_one({"text": "survives"})
        first_pid = server.pid
        server.restart()
        assert server.pid != first_pid
        assert server.port == port and server.storage_path == storage
        with MongoClient[dict[str, Any]](server.uri, serverSelectionTimeoutMS=5000) as client:
            assert [d["text"] for d in client["keep"]["memos"].find()] == ["survives"]
    assert not server.running
    assert not Path(storage).exists()


async def test_async_context_manager_with_the_odm() -> None:
    async with EmbeddedServer() as server:
        pid = server.pid
        assert pid is not None
        try:
            connect("embedded_async", host=server.uri)
            memo = await Memo.objects.create(text="async")
            assert (await Memo.objects.get(memo._id)) is not None
        finally:
            await disconnect_all()
    assert not process_exists(pid)


def test_missing_launcher_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Neither beside the interpreter nor on PATH.
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    server = EmbeddedServer()
    with pytest.raises(
        EmbeddedServerUnavailable, match=r"MONGODB_URI.*aiomotorengine-odm\[embedded\]"
    ):
        server.start()
    assert server.pid is None
    assert server.storage_path is None  # nothing left behind


# An owner that starts a server, says where it is, then waits to be ended (``how``).
OWNER = """
import sys, time
from aiomotorengine.testing import EmbeddedServer

server = EmbeddedServer().start()
print(server.pid, server.port, server.storage_path, flush=True)
if sys.argv[1] == "exception":
    raise RuntimeError("the owner fails without stopping its server")
time.sleep(120)
"""


def wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def refuses_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM", "exception"])
def test_the_server_does_not_outlive_its_owner(how: str) -> None:
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, how],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    pid, storage = 0, ""
    try:
        assert owner.stdout is not None
        line = owner.stdout.readline()
        assert line, owner.communicate()[1]
        pid_text, port_text, storage = line.split()
        pid, port = int(pid_text), int(port_text)
        assert process_exists(pid) and Path(storage).is_dir()
        if how != "exception":
            owner.send_signal(getattr(signal, how))
        owner.wait(30)
        assert owner.returncode != 0
        # The server's SIGTERM usually takes ~2 s, then the watchdog SIGKILLs it after 5 s.
        assert wait_for(lambda: not process_exists(pid), timeout=15)
        assert refuses_connections(port)
        assert wait_for(lambda: not Path(storage).exists(), timeout=5)
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()
        if pid and process_exists(pid):  # never leave a server behind, even on failure
            os.kill(pid, signal.SIGKILL)
        if storage:
            shutil.rmtree(storage, ignore_errors=True)
        if owner.stdout is not None:
            owner.stdout.close()
        if owner.stderr is not None:
            owner.stderr.close()
