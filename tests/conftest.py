"""Shared fixtures: a fresh database per test on the session's server (``mongodb_uri``)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from aiomotorengine import Database, connect
from aiomotorengine.connection import disconnect_all


@pytest.fixture
async def db(mongodb_uri: str) -> AsyncIterator[Database]:
    """The default connection, on a database of this test's own, dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    handle = connect(name, host=mongodb_uri, serverSelectionTimeoutMS=10_000)
    try:
        yield handle
    finally:
        await handle.client.drop_database(name)
        await disconnect_all()


@pytest.fixture
def database_name() -> str:
    return f"test_{uuid.uuid4().hex[:16]}"
