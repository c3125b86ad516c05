"""A tiny canned-reply MongoDB wire-protocol server, so the client's own work dominates.

It listens on loopback only, answers the handshake (legacy ``isMaster`` over OP_QUERY, then
``hello``/``isMaster`` over OP_MSG) as a standalone MongoDB 7.0 (maxWireVersion 21), and
``ping``, ``buildInfo``, ``endSessions``, ``drop``, ``find``, ``aggregate``, ``getMore``,
``killCursors``, ``insert``, ``update`` and ``delete``. Documents are BSON-encoded once at start;
a ``find`` returns a collection's documents (all of them; one for ``{_id: x}``; the listed ones
for ``{_id: {$in: [...]}}``) in a first batch and ``getMore`` batches that honour ``batchSize``,
``limit`` and the 16 MiB batch limit of mongod. An ``aggregate`` is canned too: whatever its
pipeline, it returns W7's join, the articles whose author's score is at least
``AUTHOR_MIN_SCORE``, with that author in the array its first ``$lookup`` names (encoded once
per name). Writes are acknowledged and discarded.

Bounded: at most ``MAX_CONNECTIONS`` connections; it stops by itself after ``--lifetime``
seconds or as soon as its parent process exits. Run it as a subprocess::

    python -m bench.wire_server   # prints "PORT <n>" once listening
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import itertools
import os
import struct
import subprocess
import sys
from typing import Any

import bson
from bson import Int64, ObjectId
from bson.raw_bson import RawBSONDocument

from bench import data

OP_REPLY = 1
OP_QUERY = 2004
OP_MSG = 2013
MAX_CONNECTIONS = 64
MAX_BATCH_BYTES = 16 * 1024 * 1024
DEFAULT_FIRST_BATCH = 101

_HEADER = struct.Struct("<iiii")


class CannedServer:
    """The canned replies and cursor state for a set of collections."""

    def __init__(self, collections: dict[str, list[dict[str, Any]]]) -> None:
        self.documents: dict[str, list[RawBSONDocument]] = {}
        self.by_id: dict[str, dict[Any, RawBSONDocument]] = {}
        for name, documents in collections.items():
            raw = [RawBSONDocument(bson.encode(document)) for document in documents]
            self.documents[name] = raw
            self.by_id[name] = {
                document["_id"]: encoded for document, encoded in zip(documents, raw, strict=True)
            }
        self.joined: list[tuple[dict[str, Any], dict[str, Any]]] = []
        users = {user["_id"]: user for user in collections.get("users", [])}
        for article in collections.get("articles", []):
            author = users.get(article["author"])
            if author is not None and author["score"] >= data.AUTHOR_MIN_SCORE:
                self.joined.append((article, author))
        self.aggregates: dict[str, list[RawBSONDocument]] = {}
        self.cursors: dict[int, tuple[str, list[RawBSONDocument]]] = {}
        self.cursor_ids = itertools.count(1)
        self.connection_ids = itertools.count(1)
        self.connections = 0

    # --- commands --------------------------------------------------------------------------
    def hello(self, connection_id: int, legacy: bool) -> dict[str, Any]:
        reply: dict[str, Any] = {
            "helloOk": True,
            "ismaster": True,
            "maxBsonObjectSize": 16 * 1024 * 1024,
            "maxMessageSizeBytes": 48_000_000,
            "maxWriteBatchSize": 100_000,
            "localTime": datetime.datetime.now(datetime.timezone.utc),
            "logicalSessionTimeoutMinutes": 30,
            "connectionId": connection_id,
            "minWireVersion": 0,
            "maxWireVersion": 21,
            "readOnly": False,
            "ok": 1.0,
        }
        if not legacy:
            reply["isWritablePrimary"] = True
        return reply

    def run(self, command: dict[str, Any], sequences: dict[str, int], connection_id: int) -> Any:
        """The reply to ``command`` (a dict, or pre-encoded bytes)."""
        name = next(iter(command))
        lowered = name.lower()
        if lowered in ("hello", "ismaster"):
            return self.hello(connection_id, legacy=lowered == "ismaster")
        if name == "find":
            return self.find(command)
        if name == "aggregate":
            return self.aggregate(command)
        if name == "getMore":
            return self.get_more(command)
        if name in ("insert", "update", "delete"):
            key = {"insert": "documents", "update": "updates", "delete": "deletes"}[name]
            count = sequences.get(key)
            if count is None:
                count = len(command.get(key, ()))
            reply: dict[str, Any] = {"n": count, "ok": 1.0}
            if name == "update":
                reply["nModified"] = count
            return reply
        if name == "killCursors":
            for cursor_id in command.get("cursors", ()):
                self.cursors.pop(int(cursor_id), None)
            return {"cursorsKilled": command.get("cursors", []), "ok": 1.0}
        if name == "buildInfo" or lowered == "buildinfo":
            return {"version": "7.0.0", "versionArray": [7, 0, 0, 0], "ok": 1.0}
        if name in ("ping", "endSessions", "drop", "dropDatabase"):
            return {"ok": 1.0}
        return {"ok": 0.0, "errmsg": f"no such command: {name!r}", "code": 59}

    def find(self, command: dict[str, Any]) -> dict[str, Any]:
        collection = command["find"]
        database = command.get("$db", "test")
        query = command.get("filter") or {}
        selected = self._select(collection, query)
        skip = int(command.get("skip") or 0)
        limit = abs(int(command.get("limit") or 0))
        if skip:
            selected = selected[skip:]
        if limit:
            selected = selected[:limit]
        batch_size = command.get("batchSize")
        first = DEFAULT_FIRST_BATCH if batch_size is None else int(batch_size) or len(selected)
        if command.get("singleBatch"):
            first = len(selected)
        return self._first_batch(f"{database}.{collection}", selected, first)

    def aggregate(self, command: dict[str, Any]) -> dict[str, Any]:
        name = next(
            (stage["$lookup"]["as"] for stage in command["pipeline"] if "$lookup" in stage), ""
        )
        selected = self.aggregates.get(name)
        if selected is None:
            selected = self.aggregates[name] = [
                RawBSONDocument(bson.encode({**article, name: [author]}))
                for article, author in self.joined
            ]
        batch_size = (command.get("cursor") or {}).get("batchSize")
        first = DEFAULT_FIRST_BATCH if batch_size is None else int(batch_size) or len(selected)
        namespace = f"{command.get('$db', 'test')}.{command['aggregate']}"
        return self._first_batch(namespace, selected, first)

    def _first_batch(
        self, namespace: str, selected: list[RawBSONDocument], first: int
    ) -> dict[str, Any]:
        batch, rest = _take(selected, first)
        cursor_id = 0
        if rest:
            cursor_id = next(self.cursor_ids)
            self.cursors[cursor_id] = (namespace, rest)
        return {
            "cursor": {"firstBatch": batch, "id": Int64(cursor_id), "ns": namespace},
            "ok": 1.0,
        }

    def get_more(self, command: dict[str, Any]) -> dict[str, Any]:
        cursor_id = int(command["getMore"])
        state = self.cursors.pop(cursor_id, None)
        if state is None:
            return {"ok": 0.0, "errmsg": f"cursor id {cursor_id} not found", "code": 43}
        namespace, remaining = state
        batch, rest = _take(remaining, int(command.get("batchSize") or len(remaining)))
        if rest:
            self.cursors[cursor_id] = (namespace, rest)
        else:
            cursor_id = 0
        return {
            "cursor": {"nextBatch": batch, "id": Int64(cursor_id), "ns": namespace},
            "ok": 1.0,
        }

    def _select(self, collection: str, query: dict[str, Any]) -> list[RawBSONDocument]:
        documents = self.documents.get(collection, [])
        if "_id" not in query:
            return documents
        by_id = self.by_id.get(collection, {})
        wanted = query["_id"]
        if isinstance(wanted, dict) and "$in" in wanted:
            return [by_id[key] for key in wanted["$in"] if key in by_id]
        if isinstance(wanted, ObjectId) and wanted in by_id:
            return [by_id[wanted]]
        return []

    # --- wire protocol ---------------------------------------------------------------------
    async def serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        if self.connections >= MAX_CONNECTIONS:
            writer.close()
            return
        self.connections += 1
        connection_id = next(self.connection_ids)
        try:
            while True:
                header = await reader.readexactly(16)
                length, request_id, _, opcode = _HEADER.unpack(header)
                body = await reader.readexactly(length - 16)
                reply = self.handle(opcode, body, connection_id)
                if reply is not None:
                    writer.write(_frame(request_id, reply, opcode))
                    await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.connections -= 1
            writer.close()

    def handle(self, opcode: int, body: bytes, connection_id: int) -> bytes | None:
        if opcode == OP_QUERY:
            # flags, fullCollectionName (cstring), numberToSkip, numberToReturn, query
            end = body.index(b"\x00", 4)
            start = end + 1 + 8
            (size,) = struct.unpack_from("<i", body, start)
            query = bson.decode(body[start : start + size])
            return bson.encode(self.run(query, {}, connection_id))
        if opcode != OP_MSG:
            raise ConnectionError(f"unsupported opcode {opcode}")
        (flags,) = struct.unpack_from("<I", body, 0)
        end = len(body) - (4 if flags & 1 else 0)
        position = 4
        command: dict[str, Any] = {}
        sequences: dict[str, int] = {}
        while position < end:
            kind = body[position]
            position += 1
            (size,) = struct.unpack_from("<i", body, position)
            if kind == 0:
                command = bson.decode(body[position : position + size])
            else:
                # A document sequence: count its documents without decoding them.
                name_end = body.index(b"\x00", position + 4)
                identifier = body[position + 4 : name_end].decode()
                cursor, stop, count = name_end + 1, position + size, 0
                while cursor < stop:
                    (document_size,) = struct.unpack_from("<i", body, cursor)
                    cursor += document_size
                    count += 1
                sequences[identifier] = count
            position += size
        reply = bson.encode(self.run(command, sequences, connection_id))
        if flags & 2:  # moreToCome: the client expects no reply
            return None
        return reply


def _take(
    documents: list[RawBSONDocument], count: int
) -> tuple[list[RawBSONDocument], list[RawBSONDocument]]:
    """At most ``count`` documents and at most 16 MiB, and the rest."""
    count = min(count, len(documents))
    total = 0
    for index in range(count):
        total += len(documents[index].raw)
        if total > MAX_BATCH_BYTES and index > 0:
            count = index
            break
    return documents[:count], documents[count:]


def _frame(request_id: int, reply: bytes, opcode: int) -> bytes:
    if opcode == OP_QUERY:
        # OP_REPLY: responseFlags, cursorID, startingFrom, numberReturned, documents
        payload = struct.pack("<iqii", 8, 0, 0, 1) + reply
        return _HEADER.pack(16 + len(payload), 0, request_id, OP_REPLY) + payload
    payload = b"\x00\x00\x00\x00\x00" + reply  # flagBits 0, section kind 0
    return _HEADER.pack(16 + len(payload), 0, request_id, OP_MSG) + payload


async def serve(port: int, lifetime: float, users: int, posts: int, articles: int) -> None:
    """Serve until ``lifetime`` seconds pass or the parent process exits."""
    canned = CannedServer(data.collections(users, posts, articles))
    server = await asyncio.start_server(canned.serve_connection, "127.0.0.1", port)
    bound = server.sockets[0].getsockname()[1]
    print(f"PORT {bound}", flush=True)
    parent = os.getppid()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + lifetime
    async with server:
        while loop.time() < deadline and os.getppid() == parent:
            await asyncio.sleep(0.5)


class WireServerProcess:
    """The canned server in a subprocess (its CPU time is not the client's)::

    with WireServerProcess() as server:
        client = AsyncMongoClient(server.uri)
    """

    def __init__(self, lifetime: float = 900.0) -> None:
        self.lifetime = lifetime
        self.port: int | None = None
        self._process: subprocess.Popen[str] | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"

    def start(self) -> WireServerProcess:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        environment = dict(os.environ)
        environment["PYTHONPATH"] = os.pathsep.join(
            filter(None, [root, environment.get("PYTHONPATH")])
        )
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench.wire_server", "--lifetime", str(self.lifetime)],
            stdout=subprocess.PIPE,
            text=True,
            env=environment,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"the canned wire server did not start: {line!r}")
        self.port = int(line.split()[1])
        return self

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> WireServerProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=0, help="0: a free port (printed)")
    parser.add_argument("--lifetime", type=float, default=900.0, help="stop after N seconds")
    parser.add_argument("--users", type=int, default=data.USERS)
    parser.add_argument("--posts", type=int, default=data.POSTS)
    parser.add_argument("--articles", type=int, default=data.ARTICLES)
    arguments = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            serve(
                arguments.port,
                arguments.lifetime,
                arguments.users,
                arguments.posts,
                arguments.articles,
            )
        )
    sys.exit(0)


if __name__ == "__main__":
    main()
