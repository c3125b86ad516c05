"""``BinaryField``."""

from __future__ import annotations

from typing import Any

from aiomotorengine.base.fields import BaseField

__all__ = ["BinaryField"]


class BinaryField(BaseField[bytes]):
    """Raw bytes, at most ``max_bytes`` long when given."""

    python_types = (bytes,)
    revalidate_on_save = False

    def __init__(self, max_bytes: int | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes

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

    def from_son(self, value: Any) -> Any:
        # bson.Binary (a bytes subclass) keeps its subtype, so a save writes back what was read.
        return value if isinstance(value, bytes) else bytes(value)
