"""Connection settings without a server: ``connect()`` to an unreachable host registers at
once, and an unknown alias is named in the error."""

from __future__ import annotations

import pytest

from aiomotorengine import (
    ConnectionError,
    connect,
    disconnect,
    get_connection,
    register_connection,
)


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


def test_auto_index_is_a_setting_of_ours_compared_and_shown() -> None:
    handle = register_connection(
        "managed", "catalog", host="mongodb://127.0.0.1:1/", auto_index=False
    )
    try:
        assert handle.auto_index is False
        assert "auto_index=False" in repr(handle)
        assert handle.client is not None  # the driver, which refuses unknown options, never sees it
        same = connect("catalog", alias="managed", host="mongodb://127.0.0.1:1/", auto_index=False)
        assert same is handle
        with pytest.raises(ConnectionError, match=r"'managed' is already registered.*auto_index"):
            connect("catalog", alias="managed", host="mongodb://127.0.0.1:1/")
    finally:
        disconnect("managed")
    assert connect("catalog", alias="auto", host="mongodb://127.0.0.1:1/").auto_index is True
    disconnect("auto")


def test_auto_index_must_be_a_bool() -> None:
    with pytest.raises(ConnectionError, match="auto_index must be True or False"):
        connect("catalog", alias="bad", host="mongodb://127.0.0.1:1/", auto_index="no")  # type: ignore[arg-type]
