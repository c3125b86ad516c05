"""The watchdog that ties an embedded server's life to its owner's (why: see
:mod:`aiomotorengine.embedded.server`).

``EmbeddedServer`` runs this file as a script, ``python -I -S watchdog.py --stop-timeout S
--log FILE [--remove DIR] -- SERVER COMMAND...``: it uses the standard library only, so it
starts in milliseconds and imports nothing else of the package. It runs the server as its own
child and answers each line of its standard input with one line:

- ``start``: ``started PID`` (the server is started unless it runs), or ``failed REASON``;
- ``stop``: ``stopped`` (SIGTERM, ``--stop-timeout`` seconds, then SIGKILL; reaped);
- ``status``: ``running`` or ``exited``.

End of input means the owner is done or dead, whatever ended it: the kernel closes the owner's
end of the pipe when the owner exits, even by SIGKILL. The watchdog then stops the server,
removes ``--remove DIR`` and exits. SIGTERM or SIGINT sent to the watchdog itself do the same.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
from collections.abc import Sequence
from types import FrameType

__all__ = [
    "EXITED",
    "FAILED",
    "RUNNING",
    "START",
    "STARTED",
    "STATUS",
    "STOP",
    "STOPPED",
    "main",
    "stop",
]

# Requests, then replies.
START = "start"
STOP = "stop"
STATUS = "status"
STARTED = "started"
FAILED = "failed"
STOPPED = "stopped"
RUNNING = "running"
EXITED = "exited"

_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def stop(process: subprocess.Popen[bytes] | None, timeout: float) -> None:
    """Stop ``process``: SIGTERM, up to ``timeout`` seconds, then SIGKILL; reaped either way."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _leave(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="watchdog.py")
    parser.add_argument("--stop-timeout", type=float, required=True, metavar="SECONDS")
    parser.add_argument("--log", required=True, metavar="FILE", help="the server's output")
    parser.add_argument("--remove", metavar="DIR", help="removed once the server is stopped")
    parser.add_argument("command", nargs="+", metavar="SERVER COMMAND")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the watchdog until its input ends (see the module's docstring)."""
    options = _parser().parse_args(argv)
    for signum in _SIGNALS:
        signal.signal(signum, _leave)
    server: subprocess.Popen[bytes] | None = None
    try:
        with open(options.log, "ab") as log:
            for line in sys.stdin:  # blocks until the owner asks or its end of the pipe closes
                request = line.strip()
                if request == START:
                    if server is None or server.poll() is not None:
                        try:
                            server = subprocess.Popen(
                                options.command,
                                stdin=subprocess.DEVNULL,
                                stdout=log,
                                stderr=subprocess.STDOUT,
                                start_new_session=True,
                            )
                        except OSError as error:
                            print(f"{FAILED} {error}", flush=True)
                            continue
                    reply = f"{STARTED} {server.pid}"
                elif request == STOP:
                    stop(server, options.stop_timeout)
                    server = None
                    reply = STOPPED
                elif request == STATUS:
                    reply = RUNNING if server is not None and server.poll() is None else EXITED
                else:
                    reply = f"{FAILED} unknown request {request!r}"
                print(reply, flush=True)
    finally:
        for signum in _SIGNALS:  # nothing may cut the clean-up short
            signal.signal(signum, signal.SIG_IGN)
        stop(server, options.stop_timeout)
        if options.remove is not None:
            shutil.rmtree(options.remove, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
