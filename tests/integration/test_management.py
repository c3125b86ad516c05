"""Against a server: sync_indexes on several connections, and the ``python -m aiomotorengine``
command line syncing indexes. Command-line errors without a server are in
``tests/management/test_command_line.py``."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from pymongo import MongoClient

from aiomotorengine import Database, Document, Index, StringField, connect, sync_indexes
from aiomotorengine.__main__ import main
from aiomotorengine.connection import disconnect_all


class Automobile(Document):
    __collection__ = "mgmt_automobiles"
    __indexes__ = [Index("manufacturer", "-year")]
    manufacturer = StringField()
    year = StringField()
    vin = StringField(unique=True)


class Owner(Document):
    __collection__ = "mgmt_owners"
    email = StringField(unique=True)


def _name() -> str:
    return f"test_{uuid.uuid4().hex[:16]}"


@pytest.fixture
async def two_clusters(mongodb_uri: str) -> AsyncIterator[tuple[Database, Database]]:
    first = connect(_name(), alias="cluster1", host=mongodb_uri)
    second = connect(_name(), alias="cluster2", host=mongodb_uri)
    try:
        yield first, second
    finally:
        for handle in (first, second):
            await handle.client.drop_database(handle.name)
        await disconnect_all()


async def test_sync_indexes_on_several_connections(two_clusters: tuple[Database, Database]) -> None:
    first, second = two_clusters
    done = await sync_indexes([Automobile, Owner], connections=["cluster1", "cluster2"])
    assert done == {
        "cluster1": {"Automobile": 2, "Owner": 1},
        "cluster2": {"Automobile": 2, "Owner": 1},
    }
    for handle in (first, second):
        cars = await handle.collection("mgmt_automobiles").index_information()
        assert set(cars) == {"_id_", "vin_1", "manufacturer_1_year_-1"}
        owners = await handle.collection("mgmt_owners").index_information()
        assert owners["email_1"]["unique"] is True
    # idempotent
    assert await sync_indexes([Owner], connections=["cluster1"]) == {"cluster1": {"Owner": 1}}


async def test_sync_indexes_uses_each_models_own_connection(db: Database) -> None:
    assert await sync_indexes([Owner]) == {"default": {"Owner": 1}}
    assert "email_1" in await db.collection("mgmt_owners").index_information()


# --- command line -----------------------------------------------------------------------------
MODELS = """
from aiomotorengine import Document, Index, IntField, StringField


class Ship(Document):
    __collection__ = "cli_ships"
    __indexes__ = [Index("name", "-built")]
    name = StringField(unique=True)
    built = IntField()


class Port(Document):
    __collection__ = "cli_ports"
    code = StringField(unique=True)
"""


@pytest.fixture
def models_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    module = f"cli_models_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(textwrap.dedent(MODELS))
    monkeypatch.syspath_prepend(str(tmp_path))
    return module


@pytest.fixture
def sync_client(mongodb_uri: str) -> Iterator[tuple[MongoClient[dict[str, object]], list[str]]]:
    client: MongoClient[dict[str, object]] = MongoClient(mongodb_uri)
    names: list[str] = []
    try:
        yield client, names
    finally:
        for name in names:
            client.drop_database(name)
        client.close()


def _uri(mongodb_uri: str, database: str) -> str:
    base, _, options = mongodb_uri.partition("?")
    return f"{base.rstrip('/')}/{database}" + (f"?{options}" if options else "")


def test_cli_syncs_models_on_every_alias(
    models_module: str,
    mongodb_uri: str,
    sync_client: tuple[MongoClient[dict[str, object]], list[str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    client, names = sync_client
    names.extend([_name(), _name()])
    status = main(
        [
            "sync-indexes",
            "--connect",
            f"a={_uri(mongodb_uri, names[0])}",
            "--connect",
            f"b={_uri(mongodb_uri, names[1])}",
            "--alias",
            "a",
            "--alias",
            "b",
            models_module,
        ]
    )
    out = capsys.readouterr().out
    assert status == 0, out
    assert "a: Ship: 2 index(es) ensured" in out and "b: Port: 1 index(es) ensured" in out
    assert mongodb_uri.split("//")[1].split("/")[0] not in out  # hosts/URIs are not printed
    for name in names:
        assert set(client[name]["cli_ships"].index_information()) == {
            "_id_",
            "name_1",
            "name_1_built_-1",
        }
        assert client[name]["cli_ports"].index_information()["code_1"]["unique"] is True


def test_python_dash_m_entry_point(
    models_module: str,
    mongodb_uri: str,
    tmp_path: Path,
    sync_client: tuple[MongoClient[dict[str, object]], list[str]],
) -> None:
    client, names = sync_client
    names.append(_name())
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "aiomotorengine",
            "sync-indexes",
            "--connect",
            f"default={_uri(mongodb_uri, names[0])}",
            f"{models_module}:Port",
        ],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "default: Port: 1 index(es) ensured" in completed.stdout
    assert "code_1" in client[names[0]]["cli_ports"].index_information()
