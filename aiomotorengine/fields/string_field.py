"""``StringField``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from aiomotorengine.base.fields import BaseField, FieldOptions, literal

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["StringField"]

V = TypeVar("V", bound=str | None)


class StringField(BaseField[V]):
    """Text. ``max_length`` limits the number of characters::

    name = StringField(required=True, max_length=255)
    """

    python_types = (str,)
    query_types = (str,)
    is_identity = True
    revalidate_on_save = False

    @overload
    def __init__(
        self: StringField[str],
        max_length: int | None = None,
        *,
        required: Literal[True],
        default: str | Callable[[], str] | None = None,
        **options: Unpack[FieldOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: StringField[str],
        max_length: int | None = None,
        *,
        required: bool = False,
        default: str | Callable[[], str],
        **options: Unpack[FieldOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: StringField[str | None],
        max_length: int | None = None,
        *,
        required: bool = False,
        default: None = None,
        **options: Unpack[FieldOptions],
    ) -> None: ...

    def __init__(self, max_length: int | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_length = max_length
        plain = (
            type(self).validate is StringField.validate and type(self).coerce is BaseField.coerce
        )
        if max_length is None and plain and self._plain_checks:
            self.fast_types = (str,)
        # The inline check in ``check`` (off when a subclass checks values itself).
        limit = max_length if max_length is not None else sys.maxsize
        self._inline_length = limit if plain and self._plain_checks else -1

    def check(self, instance: Any, value: Any) -> Any:
        if type(value) is str and 0 <= len(value) <= self._inline_length:
            return value
        return super().check(instance, value)

    def inline_check(self, value: str, field: str) -> str | None:
        if self._inline_length < 0:
            return None
        if self._inline_length == sys.maxsize:
            return f"type({value}) is str"
        limit = literal(self._inline_length, f"{field}._inline_length")
        return f"type({value}) is str and len({value}) <= {limit}"

    def inline_empty(self, value: str, field: str) -> str:
        if type(self).is_empty is not StringField.is_empty:
            return super().inline_empty(value, field)
        return f"{value} == ''"

    def validate(self, value: Any) -> bool:
        if value is None:
            return True
        if not isinstance(value, str):
            return False
        return self.max_length is None or len(value) <= self.max_length

    def describe(self) -> str:
        if self.max_length is None:
            return "str"
        return f"str of at most {self.max_length} characters"

    def is_empty(self, value: Any) -> bool:
        return value is None or value == ""

    def value_schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string"}
        if self.max_length is not None:
            schema["maxLength"] = self.max_length
        return schema

    def value_bson_schema(self, expanding: set[Any]) -> dict[str, Any]:
        schema: dict[str, Any] = {"bsonType": "string"}
        if self.max_length is not None:
            schema["maxLength"] = self.max_length
        if self.required:  # an empty string is no value
            schema["minLength"] = 1
        return schema
