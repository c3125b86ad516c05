"""The connection registry through its public functions, and the independence of the redaction
module (no server needed)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from pymongo import AsyncMongoClient

import aiomotorengine
import aiomotorengine.connection
from aiomotorengine.connection import (
    DEFAULT_ALIAS,
    connect,
    disconnect_all,
    get_connection,
    get_default_alias,
    register_connection,
    registered_aliases,
    resolve_alias,
    set_default_connection,
    switch_connection,
)
from aiomotorengine.errors import ConnectionError


async def test_registering_switching_the_default_and_disconnect_all_leave_no_state() -> None:
    before = registered_aliases()
    first = connect("registry_first_db", alias="registry_first", host="localhost")
    second = register_connection(
        "registry_second", host="mongodb://localhost:27017/registry_second_db", default=True
    )
    assert registered_aliases() == [*before, "registry_first", "registry_second"]
    assert get_default_alias() == "registry_second"
    assert get_connection() is second
    set_default_connection("registry_first")
    assert get_default_alias() == "registry_first"
    assert get_connection() is first
    with switch_connection("registry_second"):
        assert resolve_alias() == "registry_second"
    assert resolve_alias() == "registry_first"
    assert isinstance(first.client, AsyncMongoClient)  # built without I/O, for closing

    await disconnect_all()

    assert registered_aliases() == []
    assert get_default_alias() == DEFAULT_ALIAS
    assert resolve_alias() == DEFAULT_ALIAS
    with pytest.raises(ConnectionError, match=r"'registry_first' \(registered: none\)"):
        get_connection("registry_first")
    # The aliases are free again: other settings under the same names are no conflict.
    again = connect("registry_other_db", alias="registry_first", host="localhost")
    assert again is not first
    assert get_connection("registry_first").name == "registry_other_db"
    await disconnect_all()
    assert registered_aliases() == []


# The parent packages are stand-ins for the real ones, whose __init__ re-exports the registry by
# design: what is left to import is the redaction module and what it imports itself.
_IMPORT_REDACTION_ALONE = """
import json, sys, types
for name, path in (("aiomotorengine", sys.argv[1]), ("aiomotorengine.connection", sys.argv[2])):
    package = types.ModuleType(name)
    package.__path__ = [path]
    sys.modules[name] = package
from aiomotorengine.connection.redaction import redact
print(json.dumps({
    "redacted": redact("mongodb://ada:s3cret@db1/app?tlsCertificateKeyFilePassword=k3y"),
    "modules": sorted(name for name in sys.modules if name.startswith("aiomotorengine.")),
}))
"""


def test_redaction_imports_and_works_without_the_registry() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            _IMPORT_REDACTION_ALONE,
            *aiomotorengine.__path__,
            *aiomotorengine.connection.__path__,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["redacted"] == "mongodb://***@db1/app?tlsCertificateKeyFilePassword=***"
    assert "aiomotorengine.connection.redaction" in report["modules"]
    assert "aiomotorengine.connection.registry" not in report["modules"]
    assert "aiomotorengine.connection.database" not in report["modules"]
