"""Every code example of the cqlengine connections seed (shared/seeds/cqlengine-connections.rst),
in this library's terms: a connection is a client and its default database, a keyspace is a
database, ``sync_table`` creates a collection and its indexes, a batch sends writes together.

``cluster1`` is the session's server and ``cluster2`` a second one, so where each write landed
is checked by reading each server directly.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from aiomotorengine import (
    BatchQuery,
    ConnectionError,
    ContextQuery,
    Database,
    Document,
    Index,
    IntField,
    StringField,
    connect,
    register_connection,
    set_default_connection,
    unregister_connection,
)
from aiomotorengine.connection import disconnect_all, get_default_alias, registered_aliases
from aiomotorengine.embedded import EmbeddedServer
from aiomotorengine.management import sync_table

KEYSPACES = ["seed_ks1", "seed_ks2"]
# The seed's model keyspace "test".
TEST_KEYSPACE = "seed_test"


class Automobile(Document):
    """The seed's model: its primary key (manufacturer, year, model) is a unique index."""

    __collection__ = "automobile"
    __indexes__ = [Index("manufacturer", "year", "model", unique=True)]
    manufacturer = StringField(required=True)
    year = IntField(required=True)
    model = StringField(required=True)


class Cluster2Automobile(Document):
    """The seed's "Default Model Connection" example."""

    __collection__ = "automobile"
    __db__ = TEST_KEYSPACE
    __connection__ = "cluster2"
    manufacturer = StringField(required=True)
    year = IntField(required=True)
    model = StringField(required=True)


@dataclass
class Seed:
    cluster1_uri: str
    cluster2_uri: str
    database: str  # the default database of every connection

    def hosts(self, uri: str) -> list[str]:
        return [uri.split("//", 1)[1].split("/", 1)[0]]

    async def stored(self, uri: str, db: str, collection: str = "automobile") -> list[Any]:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri)
        try:
            found = client[db][collection].find({}, {"_id": 0}, sort=[("year", 1)])
            return await found.to_list(None)
        finally:
            await client.close()


@pytest.fixture
async def seed(mongodb_uri: str, second_server: EmbeddedServer) -> AsyncIterator[Seed]:
    database = f"seed_{uuid.uuid4().hex[:12]}"
    try:
        yield Seed(mongodb_uri, second_server.uri, database)
    finally:
        await disconnect_all()
        for uri in (mongodb_uri, second_server.uri):
            client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri)
            for name in (database, TEST_KEYSPACE, *KEYSPACES):
                await client.drop_database(name)
            await client.close()


def setup_clusters(seed: Seed) -> tuple[Database, Database]:
    """``connection.setup([...])`` plus ``register_connection('cluster2', [...])``, with the
    default connection also registered as ``cluster1``."""
    connect(seed.database, host=seed.cluster1_uri)
    cluster1 = register_connection("cluster1", seed.cluster1_uri, db=seed.database)
    cluster2 = register_connection("cluster2", seed.hosts(seed.cluster2_uri), db=seed.database)
    return cluster1, cluster2


# --- Register a new connection ---------------------------------------------------------------
async def test_register_a_new_connection_with_hosts(seed: Seed) -> None:
    # connection.setup(['127.0.0.1']); connection.register_connection('cluster2', ['127.0.0.2'])
    connect(seed.database, host=seed.hosts(seed.cluster1_uri))
    cluster2 = register_connection("cluster2", seed.hosts(seed.cluster2_uri), db=seed.database)
    assert registered_aliases() == ["default", "cluster2"]
    await Automobile.objects.create(manufacturer="honda", year=2010, model="civic")
    await Automobile.objects.using("cluster2").create(manufacturer="tesla", year=2018, model="3")
    assert [a["manufacturer"] for a in await seed.stored(seed.cluster1_uri, seed.database)] == [
        "honda"
    ]
    assert [a["manufacturer"] for a in await seed.stored(seed.cluster2_uri, seed.database)] == [
        "tesla"
    ]
    assert cluster2.owns_client


async def test_register_a_connection_with_an_existing_client(seed: Seed) -> None:
    # session = Cluster(['127.0.0.1']).connect(); register_connection('cluster3', session=session)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(seed.cluster2_uri)
    try:
        cluster3 = register_connection("cluster3", client=client, db=seed.database)
        assert cluster3.client is client
        await Automobile.objects.using("cluster3").create(manufacturer="kia", year=2011, model="x")
        assert await client[seed.database].automobile.count_documents({}) == 1
        unregister_connection("cluster3")
        assert await client[seed.database].automobile.count_documents({}) == 1  # still open
    finally:
        await client.close()


# --- Change the default connection ---------------------------------------------------------
async def test_change_the_default_connection_on_registration(seed: Seed) -> None:
    # connection.register_connection('cluster2', ['127.0.0.2'], default=True)
    connect(seed.database, host=seed.cluster1_uri)
    register_connection("cluster2", seed.hosts(seed.cluster2_uri), db=seed.database, default=True)
    assert get_default_alias() == "cluster2"
    await Automobile.objects.create(manufacturer="honda", year=2010, model="civic")
    assert len(await seed.stored(seed.cluster2_uri, seed.database)) == 1
    assert await seed.stored(seed.cluster1_uri, seed.database) == []


async def test_change_the_default_connection_on_the_fly(seed: Seed) -> None:
    # connection.set_default_connection('cluster2')
    setup_clusters(seed)
    set_default_connection("cluster2")
    await Automobile.objects.create(manufacturer="honda", year=2010, model="civic")
    assert len(await seed.stored(seed.cluster2_uri, seed.database)) == 1
    set_default_connection("default")
    assert await Automobile.objects.count() == 0  # cluster1's database


# --- Unregister a connection ---------------------------------------------------------------
async def test_unregister_a_connection(seed: Seed) -> None:
    # connection.unregister_connection('cluster2')
    setup_clusters(seed)
    unregister_connection("cluster2")
    assert "cluster2" not in registered_aliases()
    with pytest.raises(ConnectionError, match="'cluster2'"):
        await Automobile.objects.using(connection="cluster2").count()
    with pytest.raises(ConnectionError, match="'cluster2'"):
        unregister_connection("cluster2")


# --- Management ----------------------------------------------------------------------------
async def test_management_syncs_models_on_all_connections_and_keyspaces(seed: Seed) -> None:
    keyspaces = KEYSPACES
    conns = ["cluster1", "cluster2"]
    setup_clusters(seed)
    # create_simple_keyspace has no MongoDB counterpart: a database exists with its first
    # collection, which sync_table creates.
    done = await sync_table(Automobile, dbs=keyspaces, connections=conns)
    assert [(d.alias, d.db, d.created_collection) for d in done] == [
        ("cluster1", "seed_ks1", True),
        ("cluster1", "seed_ks2", True),
        ("cluster2", "seed_ks1", True),
        ("cluster2", "seed_ks2", True),
    ]
    primary_key = "manufacturer_1_year_1_model_1"
    assert all(d.created_indexes == (primary_key,) for d in done)
    for uri in (seed.cluster1_uri, seed.cluster2_uri):
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri)
        for keyspace in keyspaces:
            info = await client[keyspace].automobile.index_information()
            assert info[primary_key]["unique"] is True
        await client.close()
    again = await sync_table(Automobile, dbs=keyspaces, connections=conns)
    assert not any(d.created_collection or d.created_indexes for d in again)


# --- Connection Selection ------------------------------------------------------------------
async def test_default_model_connection(seed: Seed) -> None:
    # class Automobile(Model): __keyspace__ = 'test'; __connection__ = 'cluster2'
    # print len(Automobile.objects.all())  # executed on the connection 'cluster2'
    setup_clusters(seed)
    await Cluster2Automobile.objects.create(manufacturer="honda", year=2010, model="civic")
    assert len(await Cluster2Automobile.objects.find_all()) == 1
    assert len(await seed.stored(seed.cluster2_uri, TEST_KEYSPACE)) == 1
    assert await seed.stored(seed.cluster1_uri, TEST_KEYSPACE) == []


async def test_queryset_and_model_instance(seed: Seed) -> None:
    setup_clusters(seed)
    await Automobile.objects.using(connection="cluster1").create(
        manufacturer="honda", year=2010, model="civic"
    )
    for year, model in ((2017, "3"), (2018, "y")):
        await Automobile.objects.using(db="seed_ks2", connection="cluster2").create(
            manufacturer="Tesla", year=year, model=model
        )
    q = Automobile.objects.filter(manufacturer="Tesla")
    autos = await q.using(db="seed_ks2", connection="cluster2").find_all()
    assert len(autos) == 2

    for auto in autos:
        await auto.using(connection="cluster1").save()

    # As in cqlengine, the documents keep their keyspace: they land on cluster1 in seed_ks2.
    copied = await seed.stored(seed.cluster1_uri, "seed_ks2")
    assert [(a["manufacturer"], a["year"], a["model"]) for a in copied] == [
        ("Tesla", 2017, "3"),
        ("Tesla", 2018, "y"),
    ]
    assert [a["manufacturer"] for a in await seed.stored(seed.cluster1_uri, seed.database)] == [
        "honda"
    ]
    assert len(await seed.stored(seed.cluster2_uri, "seed_ks2")) == 2  # copied, not moved


async def test_context_manager(seed: Seed) -> None:
    # with ContextQuery(Automobile, connection='cluster1') as A:
    #     A.objects.filter(manufacturer='honda').all()  # executed on 'cluster1'
    setup_clusters(seed)
    set_default_connection("cluster2")
    await Automobile.objects.using("cluster1").create(manufacturer="honda", year=2010, model="a")
    with ContextQuery(Automobile, connection="cluster1") as A:
        found = await A.objects.filter(manufacturer="honda").find_all()
        assert [a.model for a in found] == ["a"]
        assert await Automobile.objects.filter(manufacturer="honda").count() == 0  # cluster2


async def test_batch_query(seed: Seed) -> None:
    # with BatchQuery(connection='cluster1') as b:
    #     Automobile.objects.batch(b).create(manufacturer='honda', year=2010, model='civic')
    setup_clusters(seed)
    set_default_connection("cluster2")
    async with BatchQuery(connection="cluster1") as b:
        Automobile.objects.batch(b).create(manufacturer="honda", year=2010, model="civic")
        assert await seed.stored(seed.cluster1_uri, seed.database) == []
    assert await seed.stored(seed.cluster1_uri, seed.database) == [
        {"manufacturer": "honda", "year": 2010, "model": "civic"}
    ]
    assert await seed.stored(seed.cluster2_uri, seed.database) == []
