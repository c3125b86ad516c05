"""``IntField``."""

from __future__ import annotations

import decimal
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from aiomotorengine.base.fields import INT64_MAX, INT64_MIN, BaseField, FieldOptions, literal

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["IntField"]

V = TypeVar("V", bound=int | None)

_INTEGER = re.compile(r"[+-]?[0-9]{1,19}")


class IntField(BaseField[V]):
    """An integer (64-bit in MongoDB), optionally bounded by ``min_value``/``max_value``.
    Integer strings (``"30"``) and integral floats or decimals convert; ``10.5`` does not."""

    python_types = (int,)
    query_types = (int,)
    is_identity = True
    revalidate_on_save = False

    @overload
    def __init__(
        self: IntField[int],
        min_value: int | None = None,
        max_value: int | None = None,
        *,
        required: Literal[True],
        default: int | Callable[[], int] | None = None,
        **options: Unpack[FieldOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: IntField[int],
        min_value: int | None = None,
        max_value: int | None = None,
        *,
        required: bool = False,
        default: int | Callable[[], int],
        **options: Unpack[FieldOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: IntField[int | None],
        min_value: int | None = None,
        max_value: int | None = None,
        *,
        required: bool = False,
        default: None = None,
        **options: Unpack[FieldOptions],
    ) -> None: ...

    def __init__(
        self, min_value: int | None = None, max_value: int | None = None, *args: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.min_value = min_value
        self.max_value = max_value
        # The bounds of the inline check in ``check`` (None when a subclass checks values).
        plain = type(self).validate is IntField.validate and type(self).coerce is IntField.coerce
        self._low = max(INT64_MIN, min_value if min_value is not None else INT64_MIN)
        self._high = min(INT64_MAX, max_value if max_value is not None else INT64_MAX)
        self._inline = plain and self._plain_checks

    def check(self, instance: Any, value: Any) -> Any:
        # Inline for the common case (a plain int within bounds): no coerce/validate calls.
        if type(value) is int and self._inline and self._low <= value <= self._high:
            return value
        return super().check(instance, value)

    def inline_check(self, value: str, field: str) -> str | None:
        return _inline_bounds("int", self._low, self._high, value, field) if self._inline else None

    def convert(self, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            return int(text) if _INTEGER.fullmatch(text) else value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if (
            isinstance(value, decimal.Decimal)
            and value.is_finite()
            and value == value.to_integral_value()
        ):
            return int(value)
        return value

    def validate(self, value: Any) -> bool:
        if value is None:
            return True
        if not isinstance(value, int) or isinstance(value, bool):
            return False
        if not INT64_MIN <= value <= INT64_MAX:
            return False
        if self.min_value is not None and value < self.min_value:
            return False
        return self.max_value is None or value <= self.max_value

    def describe(self) -> str:
        return _bounded("int", self.min_value, self.max_value)

    def value_schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        return _with_bounds({"type": "integer"}, self.min_value, self.max_value)

    def value_bson_schema(self, expanding: set[Any]) -> dict[str, Any]:
        # A Python int is stored as a 32-bit int, or 64-bit when it does not fit.
        return _with_bounds({"bsonType": ["int", "long"]}, self.min_value, self.max_value)


def _inline_bounds(kind: str, low: Any, high: Any, value: str, field: str) -> str:
    """The inline check of a number of type ``kind`` (``"int"``, ``"float"``) between the
    bounds ``low`` and ``high``, kept in the field's ``_low``/``_high``."""
    low_source = literal(low, f"{field}._low")
    high_source = literal(high, f"{field}._high")
    return f"type({value}) is {kind} and {low_source} <= {value} <= {high_source}"


def _with_bounds(schema: dict[str, Any], low: Any, high: Any) -> dict[str, Any]:
    """``schema`` with ``minimum``/``maximum`` for the bounds that are set."""
    if low is not None:
        schema["minimum"] = low
    if high is not None:
        schema["maximum"] = high
    return schema


def _bounded(kind: str, low: Any, high: Any) -> str:
    if low is not None and high is not None:
        return f"{kind} between {low} and {high}"
    if low is not None:
        return f"{kind} >= {low}"
    if high is not None:
        return f"{kind} <= {high}"
    return kind
