"""Connection settings without a server: ``connect()`` to an unreachable host registers at
once, and an unknown alias is named in the error."""

from __future__ import annotations

import pytest

from aiomotorengine import ConnectionError, connect, disconnect, get_connection


def test_connect_to_an_unreachable_host_registers_without_waiting() -> None:
    handle = connect("nowhere", alias="unreachable", host="mongodb://127.0.0.1:1/")
    try:
        assert get_connection("unreachable") is handle
        assert handle.name == "nowhere"
    finally:
        disconnect("unreachable")


def test_get_connection_of_unknown_alias_names_it() -> None:
    with pytest.raises(ConnectionError, match=r"'missing_alias'.*connect"):
        get_connection("missing_alias")
