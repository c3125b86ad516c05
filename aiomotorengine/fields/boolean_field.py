"""``BooleanField``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from aiomotorengine.base.fields import BaseField, FieldOptions

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["BooleanField"]

V = TypeVar("V", bound=bool | None)

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


class BooleanField(BaseField[V]):
    """``True`` or ``False`` (``None`` when unset; never stored as ``False`` by accident).
    The ints 0 and 1 and the strings ``true/false/1/0/yes/no/on/off`` (any case) convert."""

    python_types = (bool,)
    query_types = (bool,)
    is_identity = True
    revalidate_on_save = False

    @overload
    def __init__(
        self: BooleanField[bool],
        *,
        required: Literal[True],
        default: bool | Callable[[], bool] | None = None,
        **options: Unpack[FieldOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: BooleanField[bool],
        *,
        required: bool = False,
        default: bool | Callable[[], bool],
        **options: Unpack[FieldOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: BooleanField[bool | None],
        *,
        required: bool = False,
        default: None = None,
        **options: Unpack[FieldOptions],
    ) -> None: ...

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fast_types = (bool,)

    def value_schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        return {"type": "boolean"}

    def value_bson_schema(self, expanding: set[Any]) -> dict[str, Any]:
        return {"bsonType": "bool"}

    def convert(self, value: Any) -> Any:
        if isinstance(value, str):
            return _SPELLINGS.get(value.strip().lower(), value)
        if type(value) is int and value in (0, 1):
            return bool(value)
        return value
