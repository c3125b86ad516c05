"""Connections and databases together: ``register_connection`` (with a caller's client), ``__db__``,
``using(connection=, db=)`` on querysets and documents, documents living where they were loaded
or saved (deltas at home, whole documents elsewhere), declared indexes per client, database and
collection, ``ContextQuery`` bound models, ``BatchQuery`` forms and faults.

Two connections on two servers: ``cluster1`` is the session's server, ``cluster2`` the
``second_server``, started with test commands for ``failCommand`` faults. Each has a
default database of the test's own; ``KS1`` and ``KS2`` are two more databases.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from pymongo import AsyncMongoClient, MongoClient

from aiomotorengine import (
    BatchInterruptedError,
    BatchQuery,
    ConnectionError,
    ContextQuery,
    Database,
    Document,
    IntField,
    InvalidDocumentError,
    ReferenceField,
    StringField,
    UniqueKeyViolationError,
    register_connection,
    set_default_connection,
    unregister_connection,
)
from aiomotorengine.connection import disconnect, disconnect_all
from aiomotorengine.document import get_document
from aiomotorengine.embedded import EmbeddedServer
from aiomotorengine.testing import CommandRecorder

KS1 = "conn_test_ks1"
KS2 = "conn_test_ks2"
FAULTS_APP = "aiomotorengine-batch-faults"


class Automobile(Document):
    __collection__ = "automobiles"
    manufacturer = StringField(required=True)
    year = IntField()
    model = StringField()
    vin = StringField(unique=True, sparse=True)


class Ledger(Document):
    """Declares its database, not its connection."""

    __collection__ = "ledger"
    __db__ = KS1
    entry = StringField()


class Fleet(Document):
    """Declares both."""

    __collection__ = "fleet"
    __connection__ = "cluster2"
    __db__ = KS2
    name = StringField()


class Owner(Document):
    __collection__ = "owners"
    name = StringField()


class Car(Document):
    __collection__ = "cars"
    owner = ReferenceField(Owner)


class Rendezvous:
    """Tasks wait here until all arrived (``asyncio.Barrier`` needs Python 3.11)."""

    def __init__(self, parties: int) -> None:
        self._parties = parties
        self._arrived = 0
        self._all_here = asyncio.Event()

    async def wait(self) -> None:
        self._arrived += 1
        if self._arrived == self._parties:
            self._all_here.set()
        await self._all_here.wait()


@dataclass
class Clusters:
    one: Database
    two: Database
    one_commands: CommandRecorder
    two_commands: CommandRecorder
    second_uri: str

    async def stored(self, handle: Database, db: str | None, collection: str) -> list[Any]:
        """The documents of ``collection`` in database ``db`` (``None``: the connection's
        default), read with the driver, in ``_id`` order."""
        found = handle.collection(collection, db).find({}, sort=[("_id", 1)])
        return await found.to_list(None)

    async def names(self, handle: Database, db: str | None, collection: str, key: str) -> list[Any]:
        return sorted(str(doc.get(key)) for doc in await self.stored(handle, db, collection))


@pytest.fixture
async def clusters(mongodb_uri: str, second_server: EmbeddedServer) -> AsyncIterator[Clusters]:
    garage = f"garage_{uuid.uuid4().hex[:12]}"
    one_commands, two_commands = CommandRecorder(), CommandRecorder()
    one = register_connection(
        "cluster1", mongodb_uri, db=garage, default=True, event_listeners=[one_commands]
    )
    two = register_connection(
        "cluster2", second_server.uri, db=garage, event_listeners=[two_commands]
    )
    for handle in (one, two):
        for name in (KS1, KS2):
            await handle.client.drop_database(name)
    one_commands.clear()
    two_commands.clear()
    try:
        yield Clusters(one, two, one_commands, two_commands, second_server.uri)
    finally:
        for handle in (one, two):
            for name in (garage, KS1, KS2):
                await handle.client.drop_database(name)
        await disconnect_all()


def sent(recorder: CommandRecorder, *names: str) -> list[tuple[str, str, str]]:
    """``(command, database, collection)`` of the commands called one of ``names``."""
    return [
        (name, command["$db"], command[name])
        for name, command in recorder.commands
        if name in names
    ]


# --- register_connection ----------------------------------------------------------------------
async def test_register_connection_with_a_client_of_your_own(mongodb_uri: str) -> None:
    database = f"own_{uuid.uuid4().hex[:12]}"
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_uri)
    try:
        handle = register_connection("mine", client=client, db=database)
        assert handle.client is client and not handle.owns_client
        assert "client=" in repr(handle) and mongodb_uri not in repr(handle)
        await Automobile.objects.using("mine").create(manufacturer="honda")
        assert await client[database].automobiles.count_documents({}) == 1
        # The same client and database again: the same connection; another client: a conflict.
        assert register_connection("mine", client=client, db=database) is handle
        other: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_uri)
        with pytest.raises(ConnectionError, match="'mine' is already registered"):
            register_connection("mine", client=other, db=database)
        await other.close()

        # Closing, unregistering, disconnecting: the client stays open, it is the caller's.
        await handle.close()
        unregister_connection("mine")
        register_connection("again", client=client, db=database, default=True)
        disconnect("again")
        await disconnect_all()
        assert (await client[database].command("ping"))["ok"] == 1
    finally:
        await client.drop_database(database)
        await client.close()
        await disconnect_all()


async def test_register_connection_forms_and_mistakes(mongodb_uri: str) -> None:
    base = mongodb_uri.split("?")[0].rstrip("/")
    try:
        # The database from the keyword, from the URI path, or from the client's URI.
        assert register_connection("by_keyword", mongodb_uri, db="reg_a").name == "reg_a"
        assert register_connection("by_uri", f"{base}/reg_b").name == "reg_b"
        assert register_connection("hosts", ["127.0.0.1:1", "127.0.0.1:2"], db="c").name == "c"
        with_path: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(f"{base}/reg_c")
        assert register_connection("client_uri", client=with_path).name == "reg_c"
        # The form of earlier 2.0 previews: the database second, host= by keyword.
        assert register_connection("earlier", "reg_d", host=mongodb_uri).name == "reg_d"

        bare: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_uri)
        with pytest.raises(ConnectionError, match=r"'nodb': name a database"):
            register_connection("nodb", client=bare)
        with pytest.raises(ConnectionError, match=r"'opts': maxPoolSize cannot apply"):
            register_connection("opts", client=bare, db="x", maxPoolSize=5)
        with pytest.raises(ConnectionError, match=r"'both': host cannot apply"):
            register_connection("both", mongodb_uri, client=bare, db="x")
        sync_client: MongoClient[dict[str, Any]] = MongoClient(mongodb_uri, connect=False)
        with pytest.raises(ConnectionError, match="AsyncMongoClient, got MongoClient"):
            register_connection("sync", client=sync_client, db="x")  # type: ignore[call-overload]
        with pytest.raises(TypeError, match="multiple values for 'db'"):
            register_connection("twice", mongodb_uri, "a", db="b")  # type: ignore[call-overload]
        sync_client.close()
        await bare.close()
        await with_path.close()
    finally:
        await disconnect_all()


async def test_unknown_connection_names_are_errors_naming_them(clusters: Clusters) -> None:
    with pytest.raises(ConnectionError, match="'nowhere'"):
        unregister_connection("nowhere")
    with pytest.raises(ConnectionError, match="'nowhere'"):
        set_default_connection("nowhere")
    with pytest.raises(ConnectionError, match="'nowhere'"):
        await Automobile.objects.using(connection="nowhere").count()
    with pytest.raises(ConnectionError, match="'nowhere'"):
        await Automobile(manufacturer="x").using(connection="nowhere").save()
    with pytest.raises(ConnectionError, match="'nowhere'"):
        ContextQuery(Automobile, connection="nowhere")
    with pytest.raises(ConnectionError, match="'nowhere'"):
        async with BatchQuery(connection="nowhere"):
            pass


# --- where queries and documents go -------------------------------------------------------
async def test_two_connections_and_three_databases_at_once(clusters: Clusters) -> None:
    one, two = clusters.one, clusters.two
    await asyncio.gather(
        Automobile.objects.create(manufacturer="default"),  # cluster1 (the default), garage
        Automobile.objects.using(db=KS1).create(manufacturer="one-ks1"),
        Automobile.objects.using(connection="cluster2", db=KS2).create(manufacturer="two-ks2"),
        Automobile.objects.using("cluster2").create(manufacturer="two-garage"),
        Ledger.objects.create(entry="one-ks1"),  # its __db__ on the default connection
        Ledger.objects.using(connection="cluster2").create(entry="two-ks1"),
        Fleet.objects.create(name="two-ks2"),  # its __connection__ and __db__
        Fleet.objects.using(db=KS1).create(name="two-ks1"),
    )
    expected = {
        (one, None, "automobiles", "manufacturer"): ["default"],
        (one, KS1, "automobiles", "manufacturer"): ["one-ks1"],
        (one, KS2, "automobiles", "manufacturer"): [],
        (two, None, "automobiles", "manufacturer"): ["two-garage"],
        (two, KS2, "automobiles", "manufacturer"): ["two-ks2"],
        (one, KS1, "ledger", "entry"): ["one-ks1"],
        (two, KS1, "ledger", "entry"): ["two-ks1"],
        (two, KS2, "fleet", "name"): ["two-ks2"],
        (two, KS1, "fleet", "name"): ["two-ks1"],
    }
    for (handle, db, collection, key), names in expected.items():
        assert await clusters.names(handle, db, collection, key) == names, (handle.alias, db)

    # The same places through queries, concurrently; using() parts chain.
    garage, one_ks1, two_ks2, fleet, ledger = await asyncio.gather(
        Automobile.objects.find_all(),
        Automobile.objects.using(db=KS1).find_all(),
        Automobile.objects.using(connection="cluster2").using(db=KS2).find_all(),
        Fleet.objects.using(db=KS1).find_all(),
        Ledger.objects.using("cluster2").find_all(),
    )
    assert [a.manufacturer for a in garage + one_ks1 + two_ks2] == ["default", "one-ks1", "two-ks2"]
    assert [f.name for f in fleet] == ["two-ks1"] and [e.entry for e in ledger] == ["two-ks1"]
    assert await Automobile.objects.using(connection="cluster2", db=KS2).count() == 1


async def test_using_names_a_connection_or_a_database(clusters: Clusters) -> None:
    with pytest.raises(TypeError, match="needs a connection alias or a database"):
        Automobile.objects.using()
    with pytest.raises(TypeError, match="needs a connection alias or a database"):
        Automobile.objects.using(None)
    with pytest.raises(TypeError, match="needs a connection alias or a database"):
        Automobile(manufacturer="x").using()
    with pytest.raises(TypeError, match="two connections"):
        Automobile.objects.using("cluster1", connection="cluster2")
    assert await Automobile.objects.using(db=KS1).count() == 0
    # Naming the same connection twice is fine.
    assert await Automobile.objects.using("cluster2", connection="cluster2").count() == 0


async def test_a_document_goes_back_where_it_lives(clusters: Clusters) -> None:
    two, commands = clusters.two, clusters.two_commands
    created = await Automobile.objects.using(connection="cluster2", db=KS2).create(
        manufacturer="honda", year=2010
    )
    commands.clear()
    created.year = 2011
    await created.save()  # saved there: it lives there
    assert sent(commands, "update", "insert") == [("update", KS2, "automobiles")]
    assert commands.named("update")[0]["updates"][0]["u"] == {"$set": {"year": 2011}}

    loaded = await Automobile.objects.using(connection="cluster2", db=KS2).get(created.id)
    assert loaded is not None
    commands.clear()
    loaded.model = "civic"
    await loaded.save()
    await loaded.reload()
    assert loaded.model == "civic"
    assert sent(commands, "update", "find") == [
        ("update", KS2, "automobiles"),
        ("find", KS2, "automobiles"),
    ]
    assert await loaded.delete() == 1
    assert await clusters.stored(two, KS2, "automobiles") == []
    assert clusters.one_commands.writes() == []  # nothing ever went to cluster1


async def test_using_on_a_document_keeps_what_it_does_not_name(clusters: Clusters) -> None:
    one, two = clusters.one, clusters.two
    # Loaded from a database named explicitly: another connection keeps that database...
    await Automobile.objects.using(connection="cluster2", db=KS2).create(manufacturer="ks2")
    [from_ks2] = await Automobile.objects.using(connection="cluster2", db=KS2).find_all()
    await from_ks2.using(connection="cluster1").save()
    assert await clusters.names(one, KS2, "automobiles", "manufacturer") == ["ks2"]
    # ... and another database keeps the connection.
    await from_ks2.using(db=KS1).save()
    assert await clusters.names(one, KS1, "automobiles", "manufacturer") == ["ks2"]

    # Loaded from a connection's default database: another connection means its default one.
    await Automobile.objects.create(manufacturer="garage")
    [from_garage] = await Automobile.objects.filter(manufacturer="garage").find_all()
    await from_garage.using(connection="cluster2").save()
    assert await clusters.names(two, None, "automobiles", "manufacturer") == ["garage"]

    # A new document goes where using() says; using() parts add up.
    fresh = Automobile(manufacturer="fresh").using(connection="cluster2").using(db=KS1)
    await fresh.save()
    assert await clusters.names(two, KS1, "automobiles", "manufacturer") == ["fresh"]


async def test_the_copy_loop_writes_whole_documents_once(clusters: Clusters) -> None:
    one, two = clusters.one, clusters.two
    for year in (2010, 2011, 2012):
        await Automobile.objects.create(manufacturer="honda", year=year, vin=f"V{year}")
    # A key the model does not declare travels too.
    await one.collection("automobiles").update_one({"year": 2010}, {"$set": {"colour": "red"}})
    clusters.two_commands.clear()

    for auto in await Automobile.objects.using(connection="cluster1").find_all():
        await auto.using(connection="cluster2").save()
    copied = await clusters.stored(two, None, "automobiles")
    assert copied == await clusters.stored(one, None, "automobiles")
    assert copied[0]["colour"] == "red"
    statements = [c["updates"][0] for c in clusters.two_commands.named("update")]
    assert len(statements) == 3  # one replace per document, inserting it there
    assert all(s["upsert"] and "$set" not in s["u"] for s in statements)

    # Again: the copies are replaced, never duplicated.
    for auto in await Automobile.objects.find_all():
        auto.model = "civic"
        await auto.using(connection="cluster2").save()
    assert [d["model"] for d in await clusters.stored(two, None, "automobiles")] == ["civic"] * 3
    # The documents now live on cluster2: a change there is a delta.
    clusters.two_commands.clear()
    auto.year = 1999
    await auto.save()
    [update] = clusters.two_commands.named("update")
    assert update["updates"][0]["u"] == {"$set": {"year": 1999}}
    # cluster1 kept its documents, unchanged by the copies.
    assert {d.get("model") for d in await clusters.stored(one, None, "automobiles")} == {None}

    # Back at home, a loaded document sends only its changes, and nothing when unchanged.
    [home] = await Automobile.objects.filter(year=2011).find_all()
    clusters.one_commands.clear()
    await home.save()
    home.model = "accord"
    await home.using(connection="cluster1").save()  # naming its home is no move
    [update] = clusters.one_commands.named("update")
    assert update["updates"][0]["u"] == {"$set": {"model": "accord"}}


async def test_a_document_loaded_in_part_is_never_copied(clusters: Clusters) -> None:
    await Automobile.objects.create(manufacturer="honda", year=2010)
    [partial] = await Automobile.objects.only("manufacturer").find_all()
    with pytest.raises(InvalidDocumentError, match=r"Automobile .*loaded in part.*Nothing"):
        await partial.using(connection="cluster2").save()
    assert await clusters.stored(clusters.two, None, "automobiles") == []


async def test_a_copy_meets_the_unique_indexes_there(clusters: Clusters) -> None:
    await Automobile.objects.using("cluster2").create(manufacturer="there", vin="V1")
    mine = await Automobile.objects.create(manufacturer="here", vin="V1")
    with pytest.raises(UniqueKeyViolationError, match=r"Automobile.*vin"):
        await mine.using(connection="cluster2").save()
    # Nothing moved: it lives on cluster1, and using() still sends it to cluster2 until a save
    # there succeeds; naming its home again makes the next save a delta there.
    mine.year = 2001
    clusters.one_commands.clear()
    await mine.using(connection="cluster1").save()
    [update] = clusters.one_commands.named("update")
    assert update["updates"][0]["u"] == {"$set": {"year": 2001}}


async def test_declared_indexes_exist_per_client_database_and_collection(
    clusters: Clusters,
) -> None:
    for _ in range(2):
        await Automobile.objects.count()
        await Automobile.objects.using(db=KS1).count()
        await Automobile.objects.using(connection="cluster2", db=KS1).count()
    assert sent(clusters.one_commands, "createIndexes") == [
        ("createIndexes", clusters.one.name, "automobiles"),
        ("createIndexes", KS1, "automobiles"),
    ]
    assert sent(clusters.two_commands, "createIndexes") == [("createIndexes", KS1, "automobiles")]
    for handle, db in ((clusters.one, None), (clusters.one, KS1), (clusters.two, KS1)):
        assert "vin_1" in await handle.collection("automobiles", db).index_information()


async def test_references_are_read_where_the_referencing_document_lives(
    clusters: Clusters,
) -> None:
    owner = await Owner.objects.using(connection="cluster2", db=KS1).create(name="ada")
    await Car.objects.using(connection="cluster2", db=KS1).create(owner=owner)
    [car] = await Car.objects.using(connection="cluster2", db=KS1).find_all(lazy=False)
    assert isinstance(car.owner, Owner) and car.owner.name == "ada"
    car.owner.name = "ada lovelace"
    await car.owner.save()  # the loaded reference lives there too
    assert await clusters.names(clusters.two, KS1, "owners", "name") == ["ada lovelace"]


# --- ContextQuery ---------------------------------------------------------------------------
async def test_context_query_yields_a_bound_model_and_leaves_the_model_alone(
    clusters: Clusters,
) -> None:
    one, two = clusters.one, clusters.two
    with ContextQuery(Automobile, connection="cluster2", db=KS1) as A:
        assert issubclass(A, Automobile) and A is not Automobile
        assert A.__name__ == "Automobile" and A.__collection__ == "automobiles"
        await A.objects.create(manufacturer="bound")
        await A(manufacturer="bound too").save()
        await Automobile.objects.create(manufacturer="model")  # the model: where it goes
        loaded = await A.objects.get(manufacturer="bound")
        assert loaded is not None and isinstance(loaded, Automobile)
    assert await clusters.names(two, KS1, "automobiles", "manufacturer") == ["bound", "bound too"]
    assert await clusters.names(one, None, "automobiles", "manufacturer") == ["model"]

    # After the block its documents still live where they were loaded.
    loaded.year = 2020
    await loaded.save()
    assert (await clusters.stored(two, KS1, "automobiles"))[0]["year"] == 2020
    same = await Automobile.objects.using(connection="cluster2", db=KS1).get(loaded.id)
    assert same == loaded and type(same) is Automobile
    # Not registered by name: references still find the model.
    assert get_document(f"{__name__}.Automobile") is Automobile

    # One class per model and binding; binding a bound model again keeps what is not given.
    with ContextQuery(Automobile, connection="cluster2", db=KS1) as again:
        assert again is A
    with ContextQuery(A, db=KS2) as A2:
        await A2.objects.create(manufacturer="rebound")
    assert await clusters.names(two, KS2, "automobiles", "manufacturer") == ["rebound"]
    # Several models: a tuple; a database alone: the model's own connection.
    with ContextQuery(Automobile, Ledger, db=KS2) as (Auto, Ledger2):
        await Auto.objects.create(manufacturer="ks2")
        await Ledger2.objects.create(entry="ks2")
    assert await clusters.names(one, KS2, "automobiles", "manufacturer") == ["ks2"]
    assert await clusters.names(one, KS2, "ledger", "entry") == ["ks2"]
    with pytest.raises(TypeError, match="at least one model"):
        ContextQuery(connection="cluster2")
    with pytest.raises(TypeError, match=r"connection=\.\.\. or db="):
        ContextQuery(Automobile)
    with pytest.raises(TypeError, match="Document classes"):
        ContextQuery(dict, connection="cluster2")  # type: ignore[call-overload]


async def test_concurrent_context_queries_never_see_each_other(clusters: Clusters) -> None:
    one, two = clusters.one, clusters.two
    all_inside = Rendezvous(2)

    async def work(connection: str, db: str, name: str) -> tuple[list[str], list[str]]:
        with ContextQuery(Automobile, connection=connection, db=db) as A:
            await all_inside.wait()  # both blocks are open at once
            await A.objects.create(manufacturer=name)
            await asyncio.sleep(0)
            await Automobile.objects.create(manufacturer=f"{name} via the model")
            bound = [str(a.manufacturer) for a in await A.objects.find_all()]
            direct = [str(a.manufacturer) for a in await Automobile.objects.find_all()]
            return bound, sorted(direct)

    first, second = await asyncio.gather(work("cluster2", KS1, "a"), work("cluster1", KS2, "b"))
    assert first[0] == ["a"] and second[0] == ["b"]
    assert await clusters.names(two, KS1, "automobiles", "manufacturer") == ["a"]
    assert await clusters.names(one, KS2, "automobiles", "manufacturer") == ["b"]
    # The model itself went to its usual place from both tasks.
    assert await clusters.names(one, None, "automobiles", "manufacturer") == [
        "a via the model",
        "b via the model",
    ]


# --- BatchQuery -----------------------------------------------------------------------------
async def test_batch_document_and_queryset_forms(clusters: Clusters) -> None:
    one, commands = clusters.one, clusters.one_commands
    old = await Automobile.objects.create(manufacturer="old", year=1980)
    gone = await Automobile.objects.create(manufacturer="gone", year=1990)
    commands.clear()
    async with BatchQuery() as b:
        honda = Automobile.objects.batch(b).create(manufacturer="honda", year=2010)
        old.year = 1981
        assert old.batch(b).save() is old
        gone.batch(b).delete()
        tesla = Automobile(manufacturer="tesla", year=2020)
        tesla.batch(b).save()
        Automobile.objects.filter(year__lt=2000).batch(b).update(set__model="classic")
        Automobile.objects.filter(manufacturer="nobody").batch(b).delete()
        assert commands.writes() == []  # nothing before the block ends
    stored = await clusters.stored(one, None, "automobiles")
    assert [(d["manufacturer"], d["year"], d.get("model")) for d in stored] == [
        ("old", 1981, "classic"),
        ("honda", 2010, None),
        ("tesla", 2020, None),
    ]
    assert honda.id is not None and tesla.id == stored[2]["_id"]
    # Single-document writes in one run, the writes to every match in another.
    assert [name for name in commands.writes() if name != "createIndexes"] == [
        "insert",
        "update",
        "delete",
        "insert",
        "update",
        "delete",
    ]


async def test_batch_on_a_connection_and_database(clusters: Clusters) -> None:
    two = clusters.two
    on_one = await Automobile.objects.create(manufacturer="on cluster1")
    on_ks2 = await Automobile.objects.using(connection="cluster2", db=KS2).create(
        manufacturer="on ks2"
    )
    async with BatchQuery(connection="cluster2", db=KS1) as b:
        assert b.alias == "cluster2" and b.db == KS1
        Automobile.objects.batch(b).create(manufacturer="batched")
        Ledger.objects.batch(b).create(entry="its own db is the batch's")
        with pytest.raises(
            ConnectionError, match=r"Fleet.*database 'conn_test_ks2'.*'conn_test_ks1'"
        ):
            Fleet.objects.batch(b).create(name="x")
        with pytest.raises(ConnectionError, match=r"'cluster1'.*batch runs on 'cluster2'"):
            on_one.batch(b).save()
        with pytest.raises(ConnectionError, match=r"lives in database 'conn_test_ks2'"):
            on_ks2.batch(b).delete()
        with pytest.raises(ConnectionError, match=r"database 'conn_test_ks2'"):
            Automobile.objects.using(db=KS2).batch(b)
        # Sent there with using(): a copy, in the batch.
        on_one.using(connection="cluster2", db=KS1).batch(b).save()
    assert await clusters.names(two, KS1, "automobiles", "manufacturer") == [
        "batched",
        "on cluster1",
    ]
    assert await clusters.names(two, KS1, "ledger", "entry") == ["its own db is the batch's"]
    assert await clusters.stored(two, KS1, "fleet") == []
    on_one.year = 2000
    await on_one.save()  # it lives where the batch wrote it
    stored = await clusters.stored(two, KS1, "automobiles")
    assert [d.get("year") for d in stored if d["_id"] == on_one.id] == [2000]


async def test_a_failed_batch_sends_nothing(clusters: Clusters) -> None:
    existing = await Automobile.objects.create(manufacturer="kept")
    clusters.one_commands.clear()
    with pytest.raises(RuntimeError, match="boom"):
        async with BatchQuery() as b:
            car = Automobile.objects.batch(b).create(manufacturer="never")
            existing.year = 1
            existing.batch(b).save()
            existing.batch(b).delete()
            raise RuntimeError("boom")
    assert clusters.one_commands.writes() == []  # not even the indexes
    assert not car._state.persisted

    # An invalid document raises when queued; caught inside, the rest is sent...
    async with BatchQuery() as b:
        with pytest.raises(InvalidDocumentError, match=r"Automobile\.manufacturer is required"):
            Automobile(year=2000).batch(b).save()
        Automobile.objects.batch(b).create(manufacturer="valid")
    assert await clusters.names(clusters.one, None, "automobiles", "manufacturer") == [
        "kept",
        "valid",
    ]
    # ... and leaving the block, it discards the batch.
    clusters.one_commands.clear()
    with pytest.raises(InvalidDocumentError):
        async with BatchQuery() as b:
            Automobile.objects.batch(b).create(manufacturer="discarded")
            Automobile.objects.batch(b).create(year=1)
    assert clusters.one_commands.writes() == []


async def test_a_batch_in_a_transaction_across_databases(clusters: Clusters) -> None:
    two, commands = clusters.two, clusters.two_commands
    await Automobile.objects.using("cluster2").create(manufacturer="taken", vin="V1")
    commands.clear()
    with pytest.raises(UniqueKeyViolationError, match="vin"):
        async with BatchQuery(connection="cluster2", transaction=True) as b:
            Ledger.objects.batch(b).create(entry="rolled back")  # KS1
            Fleet.objects.batch(b).create(name="rolled back")  # KS2
            Automobile.objects.batch(b).create(manufacturer="dup", vin="V1")  # default db
    assert await clusters.stored(two, KS1, "ledger") == []
    assert await clusters.stored(two, KS2, "fleet") == []
    assert "abortTransaction" in commands.names()

    commands.clear()
    async with BatchQuery(connection="cluster2", transaction=True) as b:
        Ledger.objects.batch(b).create(entry="committed")
        Fleet.objects.batch(b).create(name="committed")
        Automobile.objects.batch(b).create(manufacturer="new", vin="V2")
    assert await clusters.names(two, KS1, "ledger", "entry") == ["committed"]
    assert await clusters.names(two, KS2, "fleet", "name") == ["committed"]
    writes = [c for name, c in commands.commands if name == "insert"]
    assert {c["$db"] for c in writes} == {KS1, KS2, two.name}
    assert all("txnNumber" in c for c in writes)
    assert len({c["lsid"]["id"] for c in writes}) == 1
    assert commands.names().count("commitTransaction") == 1


# --- BatchQuery under faults (failCommand on the second server) -----------------------------
@dataclass
class Faults:
    handle: Database
    commands: CommandRecorder
    admin: Database

    async def fail(self, commands: list[str], times: int = 1, **data: Any) -> None:
        await self.admin.client.admin.command(
            {
                "configureFailPoint": "failCommand",
                "mode": {"times": times},
                "data": {"failCommands": commands, "appName": FAULTS_APP, **data},
            }
        )


@pytest.fixture
async def faults(clusters: Clusters) -> AsyncIterator[Faults]:
    recorder = CommandRecorder()
    handle = register_connection(
        "faulty",
        clusters.second_uri,
        db=clusters.two.name,
        appName=FAULTS_APP,
        heartbeatFrequencyMS=500,
        serverSelectionTimeoutMS=10_000,
        event_listeners=[recorder],
    )
    try:
        yield Faults(handle, recorder, clusters.two)
    finally:
        await clusters.two.client.admin.command(
            {"configureFailPoint": "failCommand", "mode": "off"}
        )


LOST_ACKNOWLEDGEMENT = {
    "writeConcernError": {"code": 91, "errmsg": "lost", "errorLabels": ["RetryableWriteError"]}
}
DROPPED_CONNECTION = {"closeConnection": True}


FAULTS = [DROPPED_CONNECTION, LOST_ACKNOWLEDGEMENT]


@pytest.mark.parametrize("command", ["insert", "update"])
@pytest.mark.parametrize("fault", FAULTS, ids=["dropped", "lost-ack"])
async def test_batch_writes_are_applied_once_under_faults(
    clusters: Clusters, faults: Faults, fault: dict[str, Any], command: str
) -> None:
    counted = await Automobile.objects.using("faulty").create(manufacturer="counted", year=0)
    await faults.fail([command], **fault)
    faults.commands.clear()
    async with BatchQuery(connection="faulty") as b:
        for name in ("a", "b", "c"):
            Automobile.objects.batch(b).create(manufacturer=name)
        counted.year = 1
        counted.batch(b).save()
    stored = await clusters.stored(clusters.two, None, "automobiles")
    assert sorted(d["manufacturer"] for d in stored) == ["a", "b", "c", "counted"]
    assert [d["year"] for d in stored if d["manufacturer"] == "counted"] == [1]
    # The faulted command was sent twice (the driver's retry), with the same transaction
    # number, which the server recognises; the other once.
    faulted = faults.commands.named(command)
    assert len(faulted) == 2 and faulted[0]["txnNumber"] == faulted[1]["txnNumber"]
    other = "update" if command == "insert" else "insert"
    assert len(faults.commands.named(other)) == 1


@pytest.mark.parametrize(
    ("fault", "applied_by_the_server"),
    [(DROPPED_CONNECTION, 0), (LOST_ACKNOWLEDGEMENT, 1)],
    ids=["dropped", "lost-ack"],
)
async def test_a_write_to_every_match_is_never_sent_twice(
    clusters: Clusters, faults: Faults, fault: dict[str, Any], applied_by_the_server: int
) -> None:
    await Automobile.objects.using("faulty").create(manufacturer="counted", year=0)
    await faults.fail(["update"], **fault)
    with pytest.raises(BatchInterruptedError) as caught:
        async with BatchQuery(connection="faulty") as b:
            first = Automobile.objects.batch(b).create(manufacturer="before")
            Automobile.objects.filter(manufacturer="counted").batch(b).update(inc__year=1)
            after = Automobile.objects.batch(b).create(manufacturer="after")
    error = caught.value
    assert (error.applied, error.unknown, error.unsent) == (1, 1, 1)
    assert "may or may not" in str(error) and "automobiles" in str(error)
    stored = await clusters.stored(clusters.two, None, "automobiles")
    assert sorted(d["manufacturer"] for d in stored) == ["before", "counted"]
    # Sent once: applied (the acknowledgement was lost) or not (the connection dropped first).
    assert [d["year"] for d in stored if d["manufacturer"] == "counted"] == [applied_by_the_server]
    assert first._state.persisted and not after._state.persisted
    assert len(faults.commands.named("update")) == 1


@pytest.mark.parametrize(
    ("fault", "command"),
    [
        (DROPPED_CONNECTION, "insert"),
        (DROPPED_CONNECTION, "commitTransaction"),
        (LOST_ACKNOWLEDGEMENT, "commitTransaction"),
    ],
    ids=["dropped-insert", "dropped-commit", "lost-commit-ack"],
)
async def test_a_batch_transaction_under_faults_commits_once(
    clusters: Clusters, faults: Faults, fault: dict[str, Any], command: str
) -> None:
    await faults.fail([command], **fault)
    async with BatchQuery(connection="faulty", transaction=True) as b:
        Automobile.objects.batch(b).create(manufacturer="a")
        Ledger.objects.batch(b).create(entry="a")
    assert await clusters.names(clusters.two, None, "automobiles", "manufacturer") == ["a"]
    assert await clusters.names(clusters.two, KS1, "ledger", "entry") == ["a"]


async def test_a_failed_batch_transaction_is_reported_rolled_back(
    clusters: Clusters, faults: Faults
) -> None:
    await faults.fail(["insert"], errorCode=2)  # BadValue: not transient, never retried
    with pytest.raises(BatchInterruptedError, match="rolled back") as caught:
        async with BatchQuery(connection="faulty", transaction=True) as b:
            Automobile.objects.batch(b).create(manufacturer="a")
            Ledger.objects.batch(b).create(entry="a")
    assert (caught.value.applied, caught.value.unknown, caught.value.unsent) == (0, 0, 2)
    assert await clusters.stored(clusters.two, None, "automobiles") == []
    assert await clusters.stored(clusters.two, KS1, "ledger") == []
