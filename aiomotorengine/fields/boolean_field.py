"""``BooleanField``."""

from __future__ import annotations

from typing import Any

from aiomotorengine.base.fields import BaseField

__all__ = ["BooleanField"]

_SPELLINGS = {
    "true": True,
    "1": True,
    "yes": True,
    "on": True,
    "false": False,
    "0": False,
    "no": False,
    "off": False,
}


class BooleanField(BaseField[bool]):
    """``True`` or ``False`` (``None`` when unset; never stored as ``False`` by accident).
    The ints 0 and 1 and the strings ``true/false/1/0/yes/no/on/off`` (any case) convert."""

    python_types = (bool,)
    is_identity = True
    revalidate_on_save = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fast_types = (bool,)

    def value_schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        return {"type": "boolean"}

    def convert(self, value: Any) -> Any:
        if isinstance(value, str):
            return _SPELLINGS.get(value.strip().lower(), value)
        if type(value) is int and value in (0, 1):
            return bool(value)
        return value
