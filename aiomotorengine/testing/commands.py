"""``CommandRecorder``: count and inspect the commands a client sends (round trips)."""

from __future__ import annotations

import copy
from typing import Any

import bson
from bson.binary import UuidRepresentation
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo import monitoring

__all__ = ["WRITE_COMMANDS", "CommandRecorder"]

WRITE_COMMANDS = frozenset(
    {"insert", "update", "delete", "findAndModify", "bulkWrite", "createIndexes", "drop"}
)


class CommandRecorder(monitoring.CommandListener):
    """Records every command a client sends, to pin the number of round trips in tests (like
    Django's ``assertNumQueries``)::

        recorder = CommandRecorder()
        connect("app", host=uri, event_listeners=[recorder])
        await user.save()
        assert recorder.names() == ["update"]
        assert recorder.named("update")[0]["updates"][0]["u"] == {"$set": {"age": 37}}
    """

    def __init__(self) -> None:
        #: ``(command name, a copy of the command document)``, in the order sent.
        self.commands: list[tuple[str, dict[str, Any]]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.commands.append((event.command_name, _plain(dict(event.command))))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def names(self) -> list[str]:
        """The names of the commands sent, in order."""
        return [name for name, _ in self.commands]

    def named(self, name: str) -> list[dict[str, Any]]:
        """The documents of the commands called ``name`` (``"find"``, ``"update"``...)."""
        return [command for command_name, command in self.commands if command_name == name]

    def targets(self, name: str) -> list[str]:
        """The collections the commands called ``name`` went to, in order."""
        return [str(command[name]) for command in self.named(name)]

    def writes(self) -> list[str]:
        """The names of the write commands sent, in order."""
        return [name for name, _ in self.commands if name in WRITE_COMMANDS]

    def clear(self) -> None:
        """Forget what was recorded so far."""
        self.commands.clear()

    def __len__(self) -> int:
        return len(self.commands)


# How documents sent as raw BSON (bulk inserts) are read back: as aiomotorengine encodes them.
_RAW_READ_AS: CodecOptions[dict[str, Any]] = CodecOptions(
    uuid_representation=UuidRepresentation.STANDARD
)


def _plain(value: Any) -> Any:
    """A deep copy of a command with raw BSON documents decoded into dicts."""
    if isinstance(value, RawBSONDocument):
        return bson.decode(value.raw, codec_options=_RAW_READ_AS)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return copy.deepcopy(value)
