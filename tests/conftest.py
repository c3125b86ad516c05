"""Shared fixtures: a fresh database per test on the session's server (``mongodb_uri``), plain
(``db``) or with every command recorded (``monitored``, ``commands``), and a second server
(``second_server``) for tests of two clusters and of faults."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from aiomotorengine import Database, connect
from aiomotorengine.connection import disconnect_all
from aiomotorengine.embedded import EmbeddedServer, EmbeddedServerUnavailable
from aiomotorengine.testing import CommandRecorder


@asynccontextmanager
async def _fresh_database(uri: str, **options: Any) -> AsyncIterator[Database]:
    """The default connection on a new database, dropped afterwards (every connection is
    forgotten then)."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    handle = connect(name, host=uri, serverSelectionTimeoutMS=10_000, **options)
    try:
        yield handle
    finally:
        await handle.client.drop_database(name)
        await disconnect_all()


@pytest.fixture
async def db(mongodb_uri: str) -> AsyncIterator[Database]:
    """The default connection, on a database of this test's own, dropped afterwards."""
    async with _fresh_database(mongodb_uri) as handle:
        yield handle


@pytest.fixture
async def monitored(mongodb_uri: str) -> AsyncIterator[tuple[Database, CommandRecorder]]:
    """Like ``db`` (not to be used with it), with every command of the default connection
    recorded."""
    recorder = CommandRecorder()
    async with _fresh_database(mongodb_uri, event_listeners=[recorder]) as handle:
        yield handle, recorder


@pytest.fixture
def commands(db: Database, mongodb_uri: str) -> CommandRecorder:
    """A second alias, ``monitored``, on the ``db`` fixture's database, whose commands (and only
    those) are recorded: pass ``alias="monitored"`` or ``.using("monitored")`` to count them."""
    recorder = CommandRecorder()
    connect(db.name, alias="monitored", host=mongodb_uri, event_listeners=[recorder])
    return recorder


@pytest.fixture
def database_name() -> str:
    return f"test_{uuid.uuid4().hex[:16]}"


@pytest.fixture(scope="session")
def second_server() -> Iterator[EmbeddedServer]:
    """An embedded server of the session's own (whatever ``MONGODB_URI`` says), started with
    test commands (``configureFailPoint``/``failCommand``): a second cluster, and faults."""
    try:
        server = EmbeddedServer(test_commands=True).start()
    except EmbeddedServerUnavailable:
        pytest.skip("a second server needs the embedded server (aiomotorengine-odm[embedded])")
    try:
        yield server
    finally:
        server.stop()
