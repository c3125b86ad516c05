"""``UUIDField``."""

from __future__ import annotations

import uuid
from typing import Any

from bson.binary import Binary

from aiomotorengine.base.fields import BaseField

__all__ = ["UUIDField"]


class UUIDField(BaseField[uuid.UUID]):
    """A ``uuid.UUID`` (a string form is accepted), stored as BSON binary subtype 4.

    Values stored as strings by older versions still load.
    """

    python_types = (uuid.UUID,)
    revalidate_on_save = False

    def coerce(self, value: Any) -> Any:
        if isinstance(value, str):
            return uuid.UUID(value)
        return value

    def value_schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        return {"type": "string", "format": "uuid"}

    def from_son(self, value: Any) -> Any:
        if isinstance(value, str):
            return uuid.UUID(value)
        if isinstance(value, Binary):
            return value.as_uuid(value.subtype)
        return value
