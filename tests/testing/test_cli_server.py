"""``python -m aiomotorengine server``: the embedded server in the foreground, its URI printed,
stopped cleanly by Ctrl-C or SIGTERM, with nothing left running; ``--path`` keeps the data."""

from __future__ import annotations

import queue
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def refuses_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def processes_mentioning(text: str) -> list[int]:
    """The pids whose command line contains ``text`` (Linux ``/proc``)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command_line = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:  # gone meanwhile
                continue
            if text.encode() in command_line:
                found.append(int(entry.name))
    return found


class Command:
    """``python -m aiomotorengine server ...`` as a subprocess, its output read line by line."""

    def __init__(self, *arguments: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "aiomotorengine", "server", *arguments],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.output: list[str] = []
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put("")  # end of output

    def uri(self, timeout: float = 30.0) -> str:
        """The URI it prints, once the server answers."""
        while True:
            line = self._lines.get(timeout=timeout)
            self.output.append(line)
            if line.startswith("mongodb://"):
                return line
            assert line, "\n".join(self.output)

    def end(self, signum: int) -> int:
        self.process.send_signal(signum)
        return self.process.wait(30)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def ping(uri: str) -> float:
    with MongoClient[dict[str, Any]](uri, serverSelectionTimeoutMS=5000) as client:
        return float(client.admin.command("ping")["ok"])


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="lists processes through /proc")
def test_server_runs_until_ctrl_c_and_leaves_nothing_running() -> None:
    port = free_port()
    command = Command("--port", str(port))
    try:
        assert command.uri() == f"mongodb://127.0.0.1:{port}/"
        assert ping(f"mongodb://127.0.0.1:{port}/") == 1
        assert processes_mentioning(f"--port {port} ")  # the server and its watchdog
        assert command.end(signal.SIGINT) == 0
    finally:
        command.kill()
    assert processes_mentioning(f"--port {port} ") == []
    assert refuses_connections(port)
    found = re.search(r"data in (\S+) \(removed at exit\)", "\n".join(command.output))
    assert found is not None and found[1].startswith(tempfile.gettempdir())
    assert not Path(found[1]).exists()


def test_path_keeps_the_data_across_runs_and_sigterm_stops_it(tmp_path: Path) -> None:
    storage = tmp_path / "data"
    first = Command("--path", str(storage))
    try:
        with MongoClient[dict[str, Any]](first.uri(), serverSelectionTimeoutMS=5000) as client:
            client["dev"]["notes"].insert_one({"text": "kept"})
        assert first.end(signal.SIGTERM) == 0
    finally:
        first.kill()
    assert (storage / "data").is_dir()

    second = Command("--path", str(storage))
    try:
        with MongoClient[dict[str, Any]](second.uri(), serverSelectionTimeoutMS=5000) as client:
            assert [note["text"] for note in client["dev"]["notes"].find()] == ["kept"]
        assert second.end(signal.SIGINT) == 0
    finally:
        second.kill()
    assert storage.is_dir()
