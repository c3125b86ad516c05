"""The connection API against the real (embedded) server: ``connect()``, host forms, the handle,
aliases, loops, clean-up, and credential hygiene on a server started with ``--auth``. Settings
and redaction without a server are in ``tests/connection/``."""

from __future__ import annotations

import asyncio
import datetime
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from bson import Binary
from pymongo import AsyncMongoClient, MongoClient, monitoring
from pymongo.errors import InvalidOperation, OperationFailure

from aiomotorengine import (
    ConnectionError,
    Database,
    Document,
    StringField,
    UUIDField,
    connect,
    disconnect,
    get_connection,
    register_connection,
    set_default_connection,
    unregister_connection,
)
from aiomotorengine.connection import disconnect_all, get_default_alias, registered_aliases
from aiomotorengine.testing import CommandRecorder, EmbeddedServer


class Token(Document):
    __collection__ = "tokens"
    name = StringField()
    value = UUIDField()


class Note(Document):
    __collection__ = "notes"
    text = StringField()


class TopologyRecorder(monitoring.TopologyListener):
    def __init__(self) -> None:
        self.opened_count = 0

    def opened(self, event: monitoring.TopologyOpenedEvent) -> None:
        self.opened_count += 1

    def description_changed(self, event: monitoring.TopologyDescriptionChangedEvent) -> None:
        pass

    def closed(self, event: monitoring.TopologyClosedEvent) -> None:
        pass


def host_port(uri: str) -> tuple[str, int]:
    parts = urlsplit(uri)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


@pytest.fixture
async def clean() -> AsyncIterator[None]:
    """Forget every connection after the test (tests here register their own)."""
    yield
    await disconnect_all()


# --- connect(): cheap, synchronous ------------------------------------------------------------
def test_connect_is_synchronous_and_does_no_io(mongodb_uri: str, database_name: str) -> None:
    topology = TopologyRecorder()
    # No running loop here (a plain sync test): connect() just records settings.
    handle = connect(database_name, alias="no_io", host=mongodb_uri, event_listeners=[topology])
    try:
        assert topology.opened_count == 0

        async def use() -> None:
            await handle.ping()
            await handle.close()

        asyncio.run(use())
        assert topology.opened_count == 1  # the first use opened the topology
    finally:
        disconnect("no_io")


# --- host forms ---------------------------------------------------------------------------------
async def test_host_and_port(mongodb_uri: str, database_name: str, clean: None) -> None:
    host, port = host_port(mongodb_uri)
    handle = connect(database_name, host=host, port=port, serverSelectionTimeoutMS=5000)
    assert (await handle.ping())["ok"] == 1
    assert await handle.client.address == (host, port)


async def test_comma_separated_seeds(mongodb_uri: str, database_name: str, clean: None) -> None:
    _, port = host_port(mongodb_uri)
    # Two seeds naming the same server: the driver discovers the set from either.
    handle = connect(
        database_name,
        host=f"127.0.0.1:{port},localhost:{port}",
        replicaSet="secantus",
        serverSelectionTimeoutMS=5000,
    )
    assert (await handle.ping())["ok"] == 1
    assert handle.client.options.replica_set_name == "secantus"
    assert await handle.client.primary == ("127.0.0.1", port)


async def test_database_from_uri_path(mongodb_uri: str, database_name: str, clean: None) -> None:
    handle = connect(host=f"{mongodb_uri.rstrip('/')}/{database_name}")
    assert handle.name == database_name
    try:
        note = await Note.objects.create(text="in the uri's database")
        stored = await handle.client[database_name]["notes"].find_one({"_id": note._id})
        assert stored is not None and stored["text"] == "in the uri's database"
    finally:
        await handle.client.drop_database(database_name)


def test_uri_without_database_and_no_db_is_an_error(mongodb_uri: str) -> None:
    with pytest.raises(ConnectionError, match=r"'nodb'.*name a database"):
        connect(alias="nodb", host=mongodb_uri)
    assert "nodb" not in registered_aliases()


def test_replica_set_must_be_a_string(mongodb_uri: str) -> None:
    with pytest.raises(ConnectionError, match=r"'rs_alias'.*replicaSet.*string.*got int"):
        connect("x", alias="rs_alias", host=mongodb_uri, replicaSet=1)  # type: ignore[arg-type]
    assert "rs_alias" not in registered_aliases()


async def test_io_loop_is_accepted_ignored_and_deprecated(
    mongodb_uri: str, database_name: str, clean: None
) -> None:
    with pytest.warns(DeprecationWarning, match="io_loop"):
        handle = connect(database_name, host=mongodb_uri, io_loop=asyncio.get_running_loop())
    assert (await handle.ping())["ok"] == 1


# --- options reach the client ------------------------------------------------------------------
async def test_extra_keywords_reach_the_client(
    mongodb_uri: str, database_name: str, clean: None
) -> None:
    recorder = CommandRecorder()
    handle = connect(
        database_name,
        host=mongodb_uri,
        serverSelectionTimeoutMS=4321,
        tz_aware=True,
        event_listeners=[recorder],
    )
    try:
        assert handle.client.options.server_selection_timeout == pytest.approx(4.321)
        await handle.notes.insert_one({"at": datetime.datetime(2024, 1, 2, 3, 4, 5)})
        stored = await handle.notes.find_one({})
        assert stored is not None
        assert stored["at"].tzinfo is not None  # tz_aware=True decoded it aware
        assert database_name in [command["$db"] for command in recorder.named("insert")]
        assert database_name in [command["$db"] for command in recorder.named("find")]
    finally:
        await handle.client.drop_database(database_name)


async def test_uuids_are_stored_in_the_standard_representation(
    mongodb_uri: str, database_name: str, clean: None
) -> None:
    handle = connect(database_name, host=mongodb_uri)
    value = uuid.uuid4()
    try:
        token = await Token.objects.create(name="t", value=value)
        loaded = await Token.objects.get(token._id)
        assert loaded is not None and loaded.value == value
        # Another client that decodes nothing sees a subtype-4 (standard) binary.
        with MongoClient[dict[str, Any]](mongodb_uri) as raw_client:
            raw = raw_client[database_name]["tokens"].find_one({"_id": token._id})
        assert raw is not None
        assert isinstance(raw["value"], Binary) and raw["value"].subtype == 4
        assert raw["value"].as_uuid() == value
    finally:
        await handle.client.drop_database(database_name)


# --- the handle ---------------------------------------------------------------------------------
async def test_handle_gives_client_commands_and_collections(db: object) -> None:
    handle = get_connection()
    assert handle is db
    assert isinstance(handle.client, AsyncMongoClient)
    assert handle.connection is handle.client
    assert (await handle.ping())["ok"] == 1
    stats = await handle.command("dbStats")
    assert stats["db"] == handle.name
    assert handle["notes"] is handle.notes
    assert handle.notes.name == "notes"
    assert handle.notes.database.name == handle.name
    with pytest.raises(AttributeError):
        handle._private  # noqa: B018


async def test_one_client_per_alias_shared_by_models_and_queries(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    handle, recorder = monitored
    client = handle.client
    await Note.objects.create(text="a")
    await Token.objects.create(name="b")
    assert await Note.objects.count() == 1
    assert [t.name for t in await Token.objects.find_all()] == ["b"]
    assert get_connection().client is client
    # Every model's commands went through the alias's one client (its listener saw them).
    names = recorder.names()
    assert names.count("insert") == 2
    assert "aggregate" in names and "find" in names


def test_a_new_client_when_the_event_loop_changes(mongodb_uri: str, database_name: str) -> None:
    handle = connect(database_name, alias="loops", host=mongodb_uri)
    clients: list[AsyncMongoClient[dict[str, object]]] = []

    async def use(close: bool) -> None:
        client = handle.client
        assert handle.client is client  # stable within one loop
        await handle.notes.insert_one({"loop": len(clients)})
        clients.append(client)
        if close:
            await client.drop_database(database_name)
            await handle.close()
        else:
            await client.close()  # the loop ends: free its sockets (the handle still holds it)

    try:
        asyncio.run(use(close=False))
        asyncio.run(use(close=True))
    finally:
        disconnect("loops")
    assert clients[0] is not clients[1]


# --- registration -------------------------------------------------------------------------------
async def test_connect_again_with_same_settings_returns_the_same_handle(
    mongodb_uri: str, database_name: str, clean: None
) -> None:
    first = connect(database_name, host=mongodb_uri, serverSelectionTimeoutMS=5000)
    client = first.client
    again = connect(database_name, host=mongodb_uri, serverSelectionTimeoutMS=5000)
    assert again is first
    assert again.client is client


async def test_connect_again_with_other_settings_is_an_error_naming_the_alias(
    mongodb_uri: str, database_name: str, clean: None
) -> None:
    connect(database_name, alias="main", host=mongodb_uri)
    with pytest.raises(ConnectionError, match=r"connection 'main' is already registered"):
        connect("other_db", alias="main", host=mongodb_uri)
    assert get_connection("main").name == database_name


async def test_disconnect_closes_the_client_and_forgets_the_alias(
    mongodb_uri: str, database_name: str, clean: None
) -> None:
    handle = connect(database_name, alias="gone", host=mongodb_uri)
    client = handle.client
    await handle.ping()
    disconnect("gone")
    with pytest.raises(ConnectionError, match="'gone'"):
        get_connection("gone")
    # The close runs in the background; wait for it, then the old client is unusable.
    from aiomotorengine.connection import database as connection_database

    await asyncio.gather(*connection_database._closing)
    with pytest.raises(InvalidOperation):
        await client.admin.command("ping")
    disconnect("never_registered")  # an unknown alias is a no-op


async def test_close_then_use_builds_a_new_client(db: object) -> None:
    handle = get_connection()
    first = handle.client
    await handle.close()
    assert handle.client is not first
    assert (await handle.ping())["ok"] == 1


async def test_register_unregister_and_default(
    mongodb_uri: str, database_name: str, clean: None
) -> None:
    connect(f"{database_name}_a", host=mongodb_uri)
    second = register_connection("second", f"{database_name}_b", host=mongodb_uri, default=True)
    try:
        assert get_default_alias() == "second"
        assert get_connection() is second
        note = await Note.objects.create(text="on second")
        assert await second.notes.count_documents({"_id": note._id}) == 1
        assert await get_connection("default").notes.count_documents({}) == 0

        set_default_connection("default")
        assert get_connection().name == f"{database_name}_a"
        with pytest.raises(ConnectionError, match="'nope'"):
            set_default_connection("nope")

        unregister_connection("second")
        assert "second" not in registered_aliases()
        with pytest.raises(ConnectionError, match="'second'"):
            get_connection("second")
    finally:
        client = get_connection("default").client
        await client.drop_database(f"{database_name}_a")
        await client.drop_database(f"{database_name}_b")


# --- credentials never leak ---------------------------------------------------------------------
USER = "app_user"
PASSWORD = "Sup3r-s3cret-pw"


@pytest.fixture(scope="module")
def auth_server() -> Iterator[EmbeddedServer]:
    """An embedded server with ``--auth`` and one user (provisioned before auth is on)."""
    server = EmbeddedServer().start()
    try:
        with MongoClient[dict[str, Any]](server.uri) as client:
            client.admin.command(
                "createUser", USER, pwd=PASSWORD, roles=[{"role": "root", "db": "admin"}]
            )
        server.extra_args = ("--auth",)
        server.restart()
        yield server
    finally:
        server.stop()


def secret_uri(server: EmbeddedServer, database: str) -> str:
    return f"mongodb://{USER}:{PASSWORD}@127.0.0.1:{server.port}/{database}?authSource=admin"


async def test_password_in_uri_never_shown(
    auth_server: EmbeddedServer,
    database_name: str,
    clean: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    handle = connect(alias="secure", host=secret_uri(auth_server, database_name))
    assert PASSWORD not in repr(handle) and USER not in repr(handle)
    assert (await handle.ping())["ok"] == 1  # authenticated for real
    await Note.objects.using("secure").create(text="x")
    assert await Note.objects.using("secure").count() == 1
    await handle.client.drop_database(database_name)

    with pytest.raises(ConnectionError) as conflict:
        connect("elsewhere", alias="secure", host=secret_uri(auth_server, database_name))
    assert "secure" in str(conflict.value)
    with pytest.raises(ConnectionError) as bad_config:
        connect(alias="bad", host=secret_uri(auth_server, database_name), authMechanism="BOGUS")
    assert "'bad'" in str(bad_config.value)
    with pytest.raises(ConnectionError) as bad_uri:
        connect("x", alias="bad_uri", host=f"mongodb://{USER}:{PASSWORD}:extra@/x")
    for error in (conflict.value, bad_config.value, bad_uri.value):
        assert PASSWORD not in str(error), str(error)
        assert PASSWORD not in repr(error)
    assert caplog.records, "DEBUG logging was captured"
    for record in caplog.records:
        assert PASSWORD not in record.getMessage()


async def test_password_keyword_never_shown(
    auth_server: EmbeddedServer,
    database_name: str,
    clean: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    handle = connect(
        database_name,
        alias="kw",
        host="127.0.0.1",
        port=auth_server.port,
        username=USER,
        password=PASSWORD,
        authSource="admin",
    )
    assert PASSWORD not in repr(handle)
    assert (await handle.ping())["ok"] == 1
    with pytest.raises(ConnectionError) as conflict:
        connect(database_name, alias="kw", host="127.0.0.1", password=PASSWORD + "2")
    with pytest.raises(ConnectionError) as bad_type:
        connect(database_name, alias="kw_bad", username=USER, password=12345)  # type: ignore[arg-type]
    for error in (conflict.value, bad_type.value):
        assert PASSWORD not in str(error), str(error)
        assert "12345" not in str(bad_type.value)
    for record in caplog.records:
        assert PASSWORD not in record.getMessage()


async def test_wrong_password_fails_without_echoing_it(
    auth_server: EmbeddedServer, database_name: str, clean: None
) -> None:
    handle = connect(
        database_name,
        alias="wrong",
        host="127.0.0.1",
        port=auth_server.port,
        username=USER,
        password="not-the-password",
        authSource="admin",
        serverSelectionTimeoutMS=3000,
    )
    with pytest.raises(OperationFailure) as failure:
        await handle.ping()
    assert "not-the-password" not in str(failure.value)
