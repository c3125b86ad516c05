"""``make demo``: serve the blog (``examples/blog.py``) on a MongoDB of its own.

Uses ``$MONGODB_URI`` when set, else starts the embedded server. Seeds a few posts when the
database is empty, serves on ``http://127.0.0.1:PORT/`` (``$PORT``, or a free port) and prints
that address. Ctrl-C or SIGTERM stops the application and the embedded server, leaving no
process and no directory behind.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `python examples/demo.py`

from aiomotorengine.testing import EmbeddedServer
from examples.blog import Author, Comment, Post, create_app

DATABASE = "aiomotorengine_blog"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def seed() -> None:
    """A few authors and posts, when there are none yet."""
    if await Post.objects.count():
        return
    ada = await Author.objects.create(name="Ada Lovelace", email="ada@example.com")
    grace = await Author.objects.create(name="Grace Hopper", email="grace@example.com")
    await Post.objects.create(
        title="Notes on the Analytical Engine",
        slug="analytical-engine",
        body="The engine weaves algebraic patterns as the Jacquard loom weaves flowers.",
        tags=["history", "computing"],
        author=ada,
        comments=[Comment(name="Charles", text="Splendid notes.")],
    )
    await Post.objects.create(
        title="Why compilers",
        slug="why-compilers",
        body="It is easier to ask forgiveness than permission.",
        tags=["computing", "languages"],
        author=grace,
    )


async def serve(mongodb_uri: str) -> None:
    """Serve until SIGINT or SIGTERM."""
    runner = web.AppRunner(create_app(mongodb_uri, DATABASE))
    await runner.setup()  # connects
    try:
        port = int(os.environ.get("PORT") or free_port())
        await web.TCPSite(runner, "127.0.0.1", port).start()
        await seed()
        print(f"Serving the blog on http://127.0.0.1:{port}/ (JSON API under /api/posts)")
        print("Press Ctrl-C to stop.", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
    finally:
        await runner.cleanup()  # closes the connection
    print("stopped")


def main() -> None:
    uri = os.environ.get("MONGODB_URI")
    if uri:
        asyncio.run(serve(uri))
        return
    with EmbeddedServer() as server:
        print(f"embedded MongoDB server (pid {server.pid}) at {server.uri}", flush=True)
        asyncio.run(serve(server.uri))


if __name__ == "__main__":
    main()
