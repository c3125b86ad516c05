"""``UUIDField``."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from bson.binary import Binary

from aiomotorengine.base.fields import BaseField, FieldOptions

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["UUIDField"]

V = TypeVar("V", bound=uuid.UUID | None)


class UUIDField(BaseField[V]):
    """A ``uuid.UUID`` (a string form is accepted), stored as BSON binary subtype 4.

    Values stored as strings by older versions still load.
    """

    python_types = (uuid.UUID,)
    revalidate_on_save = False

    if TYPE_CHECKING:

        @overload
        def __init__(
            self: UUIDField[uuid.UUID],
            *,
            required: Literal[True],
            default: uuid.UUID | Callable[[], uuid.UUID] | None = None,
            **options: Unpack[FieldOptions],
        ) -> None: ...

        @overload
        def __init__(
            self: UUIDField[uuid.UUID],
            *,
            required: bool = False,
            default: uuid.UUID | Callable[[], uuid.UUID],
            **options: Unpack[FieldOptions],
        ) -> None: ...

        @overload
        def __init__(
            self: UUIDField[uuid.UUID | None],
            *,
            required: bool = False,
            default: None = None,
            **options: Unpack[FieldOptions],
        ) -> None: ...

        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

        def __set__(self, instance: Any, value: V | str) -> None:
            """Also takes the string form of a UUID."""

    def coerce(self, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return uuid.UUID(value)
            except ValueError:
                return value  # not a UUID: reads as stored
        return value

    def value_schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        return {"type": "string", "format": "uuid"}

    def value_bson_schema(self, expanding: set[Any]) -> dict[str, Any]:
        return {"bsonType": "binData"}

    def from_son(self, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return uuid.UUID(value)
            except ValueError:
                return value  # not a UUID: reads as stored
        if isinstance(value, Binary):
            return value.as_uuid(value.subtype)
        return value
