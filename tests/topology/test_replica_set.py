"""Replica-set topologies through ``connect(host="h1,h2,h3", replicaSet=...)``, simulated with
three mockupdb servers: discovery, where writes and secondary reads go, and a failover whose
retried write lands on the new primary.

mockupdb's own ``hello`` reply is too old for pymongo 4.20, so every server answers
``hello``/``isMaster`` itself from one shared state. The monitors poll (no streaming ``hello``)
with a small heartbeat so a changed topology is seen quickly.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
from bson import Int64, ObjectId
from mockupdb import MockupDB
from pymongo import ReadPreference

from aiomotorengine import Database, Document, StringField, connect
from aiomotorengine.connection import disconnect_all

T = TypeVar("T")
SET_NAME = "rs"
DATABASE = "topology"


class Item(Document):
    __collection__ = "items"
    name = StringField()


class Report(Document):
    """Read from secondaries and written with a majority, as the model declares."""

    __collection__ = "items"
    __read_preference__ = ReadPreference.SECONDARY
    __read_concern__ = "majority"
    __write_concern__ = {"w": "majority", "wtimeout": 1000}
    name = StringField()


@dataclass
class Received:
    server: int
    command: str
    doc: dict[str, Any]


@dataclass
class Cluster:
    """Three mockupdb servers sharing one replica-set state."""

    servers: list[MockupDB]
    primary: int = 0
    counter: int = 0
    process_id: ObjectId = field(default_factory=ObjectId)
    election_id: ObjectId = field(default_factory=ObjectId)
    step_down_on_next_write: bool = False
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def hosts(self) -> list[str]:
        return [server.address_string for server in self.servers]

    def topology_version(self) -> dict[str, Any]:
        return {"processId": self.process_id, "counter": Int64(self.counter)}

    def hello(self, index: int) -> dict[str, Any]:
        reply: dict[str, Any] = {
            "ok": 1,
            "isWritablePrimary": index == self.primary,
            "ismaster": index == self.primary,
            "secondary": index != self.primary,
            "setName": SET_NAME,
            "setVersion": 1,
            "hosts": self.hosts,
            "primary": self.hosts[self.primary],
            "me": self.hosts[index],
            "minWireVersion": 0,
            "maxWireVersion": 21,
            "maxBsonObjectSize": 16 * 1024 * 1024,
            "maxMessageSizeBytes": 48_000_000,
            "maxWriteBatchSize": 100_000,
            "logicalSessionTimeoutMinutes": 30,
            "topologyVersion": self.topology_version(),
        }
        if index == self.primary:
            reply["electionId"] = self.election_id
        return reply

    def step_down(self) -> None:
        """Member 1 becomes primary (a new election, a newer topology version)."""
        self.primary = 1
        self.counter += 1
        self.election_id = ObjectId()

    def handler(self, index: int) -> Any:
        def respond(request: Any) -> bool:
            name = request.command_name.lower() if request.command_name else ""
            with self.lock:
                if name in ("hello", "ismaster"):
                    return bool(request.replies(self.hello(index)))
                self.received.append(Received(index, name, dict(request.doc)))
                if name in ("insert", "update", "delete") and index != self.primary:
                    return bool(request.replies(not_writable_primary(self)))
                if name == "insert" and self.step_down_on_next_write:
                    self.step_down_on_next_write = False
                    self.step_down()
                    return bool(request.replies(not_writable_primary(self)))
                if name in ("insert", "update", "delete"):
                    statements = request.doc.get("documents") or request.doc.get("updates") or []
                    return bool(request.replies({"ok": 1, "n": len(statements)}))
                if name == "find":
                    batch = [{"_id": ObjectId(), "name": f"from member {index}"}]
                    cursor = {"id": Int64(0), "ns": f"{DATABASE}.items", "firstBatch": batch}
                    return bool(request.replies({"ok": 1, "cursor": cursor}))
                return bool(request.replies({"ok": 1}))

        return respond

    def writes(self) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.command in ("insert", "update", "delete")]

    def reads(self) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.command == "find"]


def not_writable_primary(cluster: Cluster) -> dict[str, Any]:
    return {
        "ok": 0,
        "code": 10107,
        "codeName": "NotWritablePrimary",
        "errmsg": "not primary",
        "errorLabels": ["RetryableWriteError"],
        "topologyVersion": cluster.topology_version(),
    }


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    servers = [MockupDB(auto_ismaster=False) for _ in range(3)]
    state = Cluster(servers)
    for index, server in enumerate(servers):
        server.autoresponds(state.handler(index))
        server.run()
    try:
        yield state
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
async def handle(cluster: Cluster) -> AsyncIterator[Database]:
    connection = connect(
        DATABASE,
        host=",".join(cluster.hosts),
        replicaSet=SET_NAME,
        serverMonitoringMode="poll",
        heartbeatFrequencyMS=500,
        serverSelectionTimeoutMS=5000,
    )
    try:
        yield connection
    finally:
        await disconnect_all()


async def bounded(awaitable: Awaitable[T], seconds: float = 20) -> T:
    """Keep each test bounded in time if the driver waits for something that never comes."""
    return await asyncio.wait_for(awaitable, seconds)


async def discovered(handle: Database, members: int) -> None:
    """Wait (bounded) until the driver knows ``members`` data-bearing members."""

    async def wait() -> None:
        while True:
            description = handle.client.topology_description
            known = [s for s in description.server_descriptions().values() if s.is_readable]
            if len(known) == members:
                return
            await asyncio.sleep(0.05)

    await bounded(wait())


def address(host: str) -> tuple[str, int]:
    name, port = host.rsplit(":", 1)
    return name, int(port)


async def test_discovers_the_set_and_writes_go_to_the_primary(
    cluster: Cluster, handle: Database
) -> None:
    await bounded(handle.ping())
    await discovered(handle, 3)
    client = handle.client
    assert client.topology_description.topology_type_name == "ReplicaSetWithPrimary"
    assert await client.primary == address(cluster.hosts[0])
    assert await client.secondaries == {address(cluster.hosts[1]), address(cluster.hosts[2])}

    item = await bounded(Item(name="written").save())
    assert item._state.persisted
    [insert] = cluster.writes()
    assert insert.server == 0
    assert insert.doc["documents"][0]["name"] == "written"
    assert insert.doc["documents"][0]["_id"] == item._id


async def test_secondary_read_preference_reads_from_a_secondary(
    cluster: Cluster, handle: Database
) -> None:
    await bounded(handle.ping())
    await discovered(handle, 3)

    from_secondary = await bounded(
        Item.objects.read_preference(ReadPreference.SECONDARY).find_all()
    )
    from_primary = await bounded(Item.objects.find_all())

    secondary_read, primary_read = cluster.reads()
    assert secondary_read.server in (1, 2)
    assert primary_read.server == 0
    assert from_secondary[0].name in ("from member 1", "from member 2")
    assert from_primary[0].name == "from member 0"
    assert secondary_read.doc["$readPreference"] == {"mode": "secondary"}


async def test_a_model_declaring_a_secondary_read_preference_reads_from_a_secondary(
    cluster: Cluster, handle: Database
) -> None:
    await bounded(handle.ping())
    await discovered(handle, 3)

    reports = await bounded(Report.objects.find_all())
    await bounded(Report(name="written").save())
    await bounded(Report.objects.read_preference("primary").find_all())  # the queryset wins

    secondary_read, primary_read = cluster.reads()
    assert secondary_read.server in (1, 2)
    assert reports[0].name in ("from member 1", "from member 2")
    assert secondary_read.doc["$readPreference"] == {"mode": "secondary"}
    assert secondary_read.doc["readConcern"] == {"level": "majority"}
    assert primary_read.server == 0
    [insert] = cluster.writes()
    assert insert.server == 0
    assert insert.doc["writeConcern"] == {"w": "majority", "wtimeout": 1000}


async def test_failover_retries_the_write_on_the_new_primary(
    cluster: Cluster, handle: Database
) -> None:
    await bounded(handle.ping())
    await discovered(handle, 3)
    cluster.step_down_on_next_write = True

    item = await bounded(Item(name="survives failover").save())

    assert item._state.persisted and item._id is not None
    first, retried = cluster.writes()
    assert (first.server, retried.server) == (0, 1)  # the retry went to the new primary
    # The same retryable write: same session and transaction number.
    assert retried.doc["lsid"] == first.doc["lsid"]
    assert retried.doc["txnNumber"] == first.doc["txnNumber"]
    assert retried.doc["documents"] == first.doc["documents"]
    assert await handle.client.primary == address(cluster.hosts[1])

    # Later writes go straight to the new primary.
    item.name = "updated"
    await bounded(item.save())
    assert [w.server for w in cluster.writes()][2:] == [1]
