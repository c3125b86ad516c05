"""``make demo`` as a person runs it: ``python examples/demo.py`` serves the page and the API at
the address it prints, and Ctrl-C (or SIGTERM) stops the application and its embedded server,
leaving no process behind."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
SERVING = re.compile(r"Serving the blog on (http://127\.0\.0\.1:\d+/)")
EMBEDDED = re.compile(r"embedded MongoDB server \(pid (\d+)\)")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie waiting for its parent is gone for our purposes.
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "State:\tZ" in status.read_text())


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_demo_serves_and_leaves_nothing_running(stop_signal: signal.Signals) -> None:
    environment = {key: value for key, value in os.environ.items() if key != "MONGODB_URI"}
    environment.pop("PORT", None)
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "examples" / "demo.py")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=environment,
        cwd=ROOT,
    )
    assert process.stdout is not None
    lines: list[str] = []
    address = server_pid = None
    deadline = time.monotonic() + 60
    try:
        while address is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if found := EMBEDDED.search(line):
                server_pid = int(found.group(1))
            if found := SERVING.search(line):
                address = found.group(1)
        assert address is not None, "".join(lines)
        assert server_pid is not None and alive(server_pid)

        with urllib.request.urlopen(address, timeout=10) as page:
            assert page.status == 200 and b"Analytical Engine" in page.read()
        with urllib.request.urlopen(address + "api/posts", timeout=10) as api:
            assert api.status == 200 and b'"total": 2' in api.read()

        process.send_signal(stop_signal)
        output, _ = process.communicate(timeout=30)
        assert process.returncode == 0, "".join(lines) + output
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    deadline = time.monotonic() + 15
    while alive(server_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(server_pid), "the embedded server outlived the demo"
