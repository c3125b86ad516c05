"""``BinaryField``."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from aiomotorengine.base.fields import BaseField, FieldOptions

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["BinaryField"]

V = TypeVar("V", bound=bytes | None)


class BinaryField(BaseField[V]):
    """Raw bytes, at most ``max_bytes`` long when given."""

    python_types = (bytes,)
    revalidate_on_save = False

    @overload
    def __init__(
        self: BinaryField[bytes],
        max_bytes: int | None = None,
        *,
        required: Literal[True],
        default: bytes | Callable[[], bytes] | None = None,
        **options: Unpack[FieldOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: BinaryField[bytes],
        max_bytes: int | None = None,
        *,
        required: bool = False,
        default: bytes | Callable[[], bytes],
        **options: Unpack[FieldOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: BinaryField[bytes | None],
        max_bytes: int | None = None,
        *,
        required: bool = False,
        default: None = None,
        **options: Unpack[FieldOptions],
    ) -> None: ...

    def __init__(self, max_bytes: int | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes

    if TYPE_CHECKING:

        def __set__(self, instance: Any, value: V | bytearray | memoryview) -> None:
            """Also takes a ``bytearray`` or ``memoryview`` (stored as ``bytes``)."""

    def coerce(self, value: Any) -> Any:
        if isinstance(value, (bytearray, memoryview)):
            return bytes(value)
        return value

    def validate(self, value: Any) -> bool:
        if value is None:
            return True
        if not isinstance(value, bytes):
            return False
        return self.max_bytes is None or len(value) <= self.max_bytes

    def describe(self) -> str:
        return "bytes" if self.max_bytes is None else f"at most {self.max_bytes} bytes"

    def value_schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        return {"type": "string", "contentEncoding": "base64"}

    def from_primitive(self, value: Any) -> Any:
        if isinstance(value, str):  # the base64 text of to_dict(json=True)
            try:
                return base64.b64decode(value, validate=True)
            except binascii.Error:
                return value  # not base64: refused by the field's check
        return value

    def value_bson_schema(self, expanding: set[Any]) -> dict[str, Any]:
        return {"bsonType": "binData"}
