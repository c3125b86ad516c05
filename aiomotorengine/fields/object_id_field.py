"""``ObjectIdField``."""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from bson.errors import InvalidId

from aiomotorengine.fields.base_field import BaseField

__all__ = ["ObjectIdField", "coerce_object_id"]


class ObjectIdField(BaseField[ObjectId]):
    """A BSON ``ObjectId`` (its 24-character hex string is accepted)."""

    python_types = (ObjectId,)
    is_identity = True
    revalidate_on_save = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fast_types = (ObjectId,)

    def coerce(self, value: Any) -> Any:
        return coerce_object_id(value)


def coerce_object_id(value: Any) -> Any:
    """An ``ObjectId`` for its 24-character hex string (``ValueError`` if malformed); any
    other value unchanged."""
    if isinstance(value, str):
        try:
            return ObjectId(value)
        except InvalidId as error:
            raise ValueError(str(error)) from None
    return value
