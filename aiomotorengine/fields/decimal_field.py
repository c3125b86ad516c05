"""``DecimalField``: stored as ``Decimal128`` so the server compares numerically."""

from __future__ import annotations

import decimal
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from bson.decimal128 import Decimal128

from aiomotorengine.base.fields import BaseField, FieldOptions
from aiomotorengine.fields.int_field import _bounded

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["DecimalField"]

V = TypeVar("V", bound=decimal.Decimal | None)


class DecimalField(BaseField[V]):
    """A ``decimal.Decimal`` rounded to ``precision`` places with ``rounding`` when assigned,
    stored and loaded.

    Stored as BSON ``Decimal128`` (sorts and compares as a number on the server); documents
    written by aiomotorengine 0.x, which stored strings, still load (rounded). A stored value
    that only rounding changed is not written back unless the field is assigned.
    """

    python_types = (decimal.Decimal,)
    revalidate_on_save = False
    normalises_on_load = True

    @overload
    def __init__(
        self: DecimalField[decimal.Decimal],
        min_value: Any = None,
        max_value: Any = None,
        precision: int = 2,
        rounding: str = decimal.ROUND_HALF_UP,
        *,
        required: Literal[True],
        default: decimal.Decimal | Callable[[], decimal.Decimal] | None = None,
        **options: Unpack[FieldOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: DecimalField[decimal.Decimal],
        min_value: Any = None,
        max_value: Any = None,
        precision: int = 2,
        rounding: str = decimal.ROUND_HALF_UP,
        *,
        required: bool = False,
        default: decimal.Decimal | Callable[[], decimal.Decimal],
        **options: Unpack[FieldOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: DecimalField[decimal.Decimal | None],
        min_value: Any = None,
        max_value: Any = None,
        precision: int = 2,
        rounding: str = decimal.ROUND_HALF_UP,
        *,
        required: bool = False,
        default: None = None,
        **options: Unpack[FieldOptions],
    ) -> None: ...

    def __init__(
        self,
        min_value: Any = None,
        max_value: Any = None,
        precision: int = 2,
        rounding: str = decimal.ROUND_HALF_UP,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.min_value = None if min_value is None else decimal.Decimal(str(min_value))
        self.max_value = None if max_value is None else decimal.Decimal(str(max_value))
        self.precision = precision
        self.rounding = rounding
        self._quantum = decimal.Decimal(1).scaleb(-precision)

    if TYPE_CHECKING:

        def __set__(self, instance: Any, value: V | Decimal128 | int | float | str) -> None:
            """Also takes what converts to a decimal even in strict mode: a ``Decimal128``, an
            int, a float or a numeric string (rounded to ``precision`` places)."""

    def coerce(self, value: Any) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, Decimal128):
            value = value.to_decimal()
        elif isinstance(value, (int, float, str)):
            value = decimal.Decimal(str(value).strip())
        if isinstance(value, decimal.Decimal) and value.is_finite():
            return self._quantize(value)
        return value

    def _quantize(self, value: decimal.Decimal) -> decimal.Decimal:
        """``value`` rounded to ``precision`` places (itself when it already is)."""
        if value.as_tuple().exponent == -self.precision:
            return value
        return value.quantize(self._quantum, rounding=self.rounding)

    def validate(self, value: Any) -> bool:
        if value is None:
            return True
        if not isinstance(value, decimal.Decimal) or not value.is_finite():
            return False
        if self.min_value is not None and value < self.min_value:
            return False
        return self.max_value is None or value <= self.max_value

    def describe(self) -> str:
        return _bounded("a finite decimal", self.min_value, self.max_value)

    def to_son(self, value: Any) -> Any:
        return Decimal128(value)

    def value_schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        # In JSON a decimal is its exact text: a float could not hold it.
        return {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}

    def value_bson_schema(self, expanding: set[Any]) -> dict[str, Any]:
        schema: dict[str, Any] = {"bsonType": "decimal"}
        if self.min_value is not None:
            schema["minimum"] = Decimal128(self.min_value)
        if self.max_value is not None:
            schema["maximum"] = Decimal128(self.max_value)
        return schema

    def from_son(self, value: Any) -> Any:
        if isinstance(value, Decimal128):
            value = value.to_decimal()
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
            try:  # the 0.x string form, or a plain number
                value = decimal.Decimal(str(value).strip())
            except decimal.InvalidOperation:
                return value
        if isinstance(value, decimal.Decimal) and value.is_finite():
            return self._quantize(value)
        return value
