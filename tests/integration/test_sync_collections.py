"""``management.sync_collection`` (cqlengine's ``sync_table``), ``sync_all`` and
``python -m aiomotorengine sync``: collections and declared indexes on every (connection,
database) pair, idempotent, reported per model and pair."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from pymongo import MongoClient

from aiomotorengine import ConnectionError, Document, Index, IntField, StringField, connect
from aiomotorengine.__main__ import main
from aiomotorengine.connection import disconnect_all
from aiomotorengine.management import (
    CollectionSync,
    sync_all,
    sync_collection,
    sync_table,
)


class Automobile(Document):
    __collection__ = "sync_automobiles"
    __indexes__ = [Index("manufacturer", "-year")]
    manufacturer = StringField()
    year = IntField()
    vin = StringField(unique=True)


class Note(Document):
    """No index of its own."""

    __collection__ = "sync_notes"
    text = StringField()


def _name() -> str:
    return f"test_{uuid.uuid4().hex[:12]}"


class Names:
    """Database names a test uses, dropped at its end."""

    def __init__(self) -> None:
        self.used: list[str] = []

    def __call__(self) -> str:
        name = _name()
        self.used.append(name)
        return name


@pytest.fixture
async def names(mongodb_uri: str) -> AsyncIterator[Names]:
    used = Names()
    try:
        yield used
    finally:
        client: MongoClient[dict[str, Any]] = MongoClient(mongodb_uri)
        for name in used.used:
            client.drop_database(name)
        client.close()
        await disconnect_all()


async def test_sync_collection_on_every_connection_and_database(
    mongodb_uri: str, names: Names
) -> None:
    first = connect(names(), alias="cluster1", host=mongodb_uri)
    second = connect(names(), alias="cluster2", host=mongodb_uri)
    ks1, ks2 = names(), names()

    done = await sync_collection(Automobile, connections=["cluster1", "cluster2"], dbs=[ks1, ks2])
    assert [(d.alias, d.db) for d in done] == [
        ("cluster1", ks1),
        ("cluster1", ks2),
        ("cluster2", ks1),
        ("cluster2", ks2),
    ]
    # Both connections reach the same server here: what cluster1 created, cluster2 finds.
    assert [d.created_collection for d in done] == [True, True, False, False]
    assert [len(d.created_indexes) for d in done] == [2, 2, 0, 0]
    assert str(done[0]) == (
        f"Automobile on 'cluster1', database {ks1!r}: created collection 'sync_automobiles'; "
        f"created index(es) vin_1, manufacturer_1_year_-1"
    )
    for handle in (first, second):
        for db in (ks1, ks2):
            info = await handle.collection("sync_automobiles", db).index_information()
            assert set(info) == {"_id_", "vin_1", "manufacturer_1_year_-1"}
    # The connections' own databases were not touched.
    assert "sync_automobiles" not in await first.database.list_collection_names()

    again = await sync_table(Automobile, connections=["cluster1", "cluster2"], dbs=[ks1, ks2])
    assert not any(d.created_collection or d.created_indexes for d in again)
    assert str(again[0]).endswith("nothing to create (2 declared index(es) exist)")


async def test_sync_collection_defaults_and_partly_existing_collections(
    mongodb_uri: str, names: Names
) -> None:
    handle = connect(names(), host=mongodb_uri)
    # Without connections and dbs: the model's own connection and database.
    [done] = await sync_collection(Note)
    assert done == CollectionSync(
        model="Note",
        alias="default",
        db=handle.name,
        collection="sync_notes",
        created_collection=True,
        created_indexes=(),
        indexes=(),
    )
    assert "sync_notes" in await handle.database.list_collection_names()
    # An existing collection with one of the indexes: only the missing one is created.
    await handle.collection("sync_automobiles").create_index("vin", unique=True)
    [done] = await sync_collection(Automobile)
    assert not done.created_collection and done.created_indexes == ("manufacturer_1_year_-1",)
    # An unknown connection is an error naming it, before anything is created.
    ks = names()
    with pytest.raises(ConnectionError, match="'nowhere'"):
        await sync_collection(Note, connections=["default", "nowhere"], dbs=[ks])
    assert ks not in await handle.client.list_database_names()


async def test_sync_all_models_and_a_module(mongodb_uri: str, names: Names) -> None:
    handle = connect(names(), host=mongodb_uri)
    seen: list[tuple[int, int, str, int]] = []
    done = await sync_all(
        [Automobile, Note],
        progress=lambda index, total, model, synced: seen.append(
            (index, total, model.__name__, len(synced))
        ),
    )
    assert [d.model for d in done] == ["Automobile", "Note"]
    assert seen == [(1, 2, "Automobile", 1), (2, 2, "Note", 1)]

    module = ModuleType("sync_module_under_test")
    module.Automobile = Automobile  # type: ignore[attr-defined]  # imported: not its own
    exec(
        "from aiomotorengine import Document, StringField\n"
        "class Tag(Document):\n"
        "    __collection__ = 'sync_tags'\n"
        "    label = StringField(unique=True)\n",
        module.__dict__,
    )
    done = await sync_all(module, dbs=[handle.name])
    assert [(d.model, d.created_indexes) for d in done] == [("Tag", ("label_1",))]


# --- python -m aiomotorengine sync -------------------------------------------------------------
MODELS = """
from aiomotorengine import Document, Index, IntField, StringField


class Ship(Document):
    __collection__ = "cli_sync_ships"
    __indexes__ = [Index("name", "-built")]
    name = StringField(unique=True)
    built = IntField()


class Port(Document):
    __collection__ = "cli_sync_ports"
    code = StringField()
"""


@pytest.fixture
def models_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    module = f"cli_sync_models_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(textwrap.dedent(MODELS))
    monkeypatch.syspath_prepend(str(tmp_path))
    return module


@pytest.fixture
def client(mongodb_uri: str, names: Names) -> Iterator[MongoClient[dict[str, Any]]]:
    with MongoClient[dict[str, Any]](mongodb_uri) as sync_client:
        yield sync_client


def _uri(mongodb_uri: str, database: str = "") -> str:
    base, _, options = mongodb_uri.partition("?")
    return f"{base.rstrip('/')}/{database}" + (f"?{options}" if options else "")


def _hosts(mongodb_uri: str) -> str:
    return mongodb_uri.split("//", 1)[1].split("/", 1)[0]


def test_cli_sync_reports_per_model_and_pair(
    models_module: str,
    mongodb_uri: str,
    names: Names,
    client: MongoClient[dict[str, Any]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    home, ks = names(), names()
    arguments = [
        "sync",
        "--models",
        models_module,
        "--connection",
        _uri(mongodb_uri, home),
        "--connection",
        f"eu={_uri(mongodb_uri, home)}",
        "--db",
        home,
        "--db",
        ks,
    ]
    assert main(arguments) == 0
    out = capsys.readouterr().out.splitlines()
    hosts = _hosts(mongodb_uri)
    # A progress line per model (two models), then a line per connection and database.
    assert out[0] == "[1/2] Port" and out[5] == "[2/2] Ship"
    assert out[1] == (f"  Port on {hosts}, database {home!r}: created collection 'cli_sync_ports'")
    assert (
        out[3] == f"  Port on eu, database {home!r}: nothing to create (0 declared index(es) exist)"
    )
    assert out[6] == (
        f"  Ship on {hosts}, database {home!r}: created collection 'cli_sync_ships'; "
        f"created index(es) name_1, name_1_built_-1"
    )
    assert len(out) == 10
    for name in (home, ks):
        assert set(client[name]["cli_sync_ships"].index_information()) == {
            "_id_",
            "name_1",
            "name_1_built_-1",
        }

    # Again: nothing to create; one model: no progress line.
    assert (
        main(["sync", "--models", f"{models_module}:Ship", "--connection", _uri(mongodb_uri, home)])
        == 0
    )
    [line] = capsys.readouterr().out.splitlines()
    assert (
        line
        == f"Ship on {hosts}, database {home!r}: nothing to create (2 declared index(es) exist)"
    )


def test_cli_sync_errors_never_show_credentials(
    models_module: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sync", "--models", models_module, "--connection", "no-uri"]) == 1
    assert "--connection takes a mongodb:// URI or ALIAS=URI" in capsys.readouterr().err
    assert main(["sync", "--models", "no_such_module_anywhere"]) == 1
    assert "no_such_module_anywhere" in capsys.readouterr().err
    secret = "mongodb://ada:s3cret@127.0.0.1:1/db?serverSelectionTimeoutMS=200"
    assert main(["sync", "--models", models_module, "--connection", secret]) == 1
    err = capsys.readouterr().err
    assert "error:" in err and "s3cret" not in err


def test_python_dash_m_sync(
    models_module: str,
    mongodb_uri: str,
    names: Names,
    tmp_path: Path,
    client: MongoClient[dict[str, Any]],
) -> None:
    home = names()
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "aiomotorengine",
            "sync",
            "--models",
            f"{models_module}:Port",
            "--connection",
            f"main={_uri(mongodb_uri, home)}",
        ],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == (
        f"Port on main, database {home!r}: created collection 'cli_sync_ports'\n"
    )
    assert "cli_sync_ports" in client[home].list_collection_names()
