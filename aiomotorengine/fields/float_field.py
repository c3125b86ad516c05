"""``FloatField``."""

from __future__ import annotations

import decimal
import math
import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from aiomotorengine.base.fields import BaseField, FieldOptions
from aiomotorengine.fields.int_field import _bounded, _inline_bounds, _with_bounds

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["FloatField"]

V = TypeVar("V", bound=float | None)

_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_LARGEST = sys.float_info.max


class FloatField(BaseField[V]):
    """A floating point number. Ints convert when the float holds them exactly, as do numeric
    strings (``"1.5"``) and decimals; ``NaN`` and infinities are refused unless
    ``allow_inf_nan=True``."""

    python_types = (float,)
    # A stored int (written by 0.x, another program, or a default of 0) loads as a float:
    # unchanged, it is not written back.
    normalises_on_load = True
    query_types = (float,)
    revalidate_on_save = False

    @overload
    def __init__(
        self: FloatField[float],
        min_value: float | None = None,
        max_value: float | None = None,
        *,
        allow_inf_nan: bool = False,
        required: Literal[True],
        default: float | Callable[[], float] | None = None,
        **options: Unpack[FieldOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: FloatField[float],
        min_value: float | None = None,
        max_value: float | None = None,
        *,
        allow_inf_nan: bool = False,
        required: bool = False,
        default: float | Callable[[], float],
        **options: Unpack[FieldOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: FloatField[float | None],
        min_value: float | None = None,
        max_value: float | None = None,
        *,
        allow_inf_nan: bool = False,
        required: bool = False,
        default: None = None,
        **options: Unpack[FieldOptions],
    ) -> None: ...

    def __init__(
        self,
        min_value: float | None = None,
        max_value: float | None = None,
        *args: Any,
        allow_inf_nan: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.min_value = min_value
        self.max_value = max_value
        self.allow_inf_nan = allow_inf_nan
        if min_value is None and max_value is None and allow_inf_nan:
            self.fast_types = (float,)
        # The bounds of the inline check in ``check`` (NaN fails any comparison).
        self._low = max(-_LARGEST, min_value if min_value is not None else -_LARGEST)
        self._high = min(_LARGEST, max_value if max_value is not None else _LARGEST)
        self._inline = (
            type(self).validate is FloatField.validate
            and type(self).coerce is FloatField.coerce
            and self._plain_checks
        )

    def check(self, instance: Any, value: Any) -> Any:
        # Inline for the common case (a finite float within bounds): no coerce/validate calls.
        if type(value) is float and self._inline and self._low <= value <= self._high:
            return value
        return super().check(instance, value)

    def inline_check(self, value: str, field: str) -> str | None:
        return (
            _inline_bounds("float", self._low, self._high, value, field) if self._inline else None
        )

    def convert(self, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            return float(text) if _NUMBER.fullmatch(text) else value
        if isinstance(value, decimal.Decimal) and value.is_finite():
            number = float(value)
            return number if decimal.Decimal(number) == value else value
        return value

    def coerce(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            number = float(value)
            return number if number == value else value  # never a silently rounded int
        return value

    def validate(self, value: Any) -> bool:
        if value is None:
            return True
        if not isinstance(value, float):
            return False
        if not self.allow_inf_nan and not math.isfinite(value):
            return False
        if self.min_value is not None and value < self.min_value:
            return False
        return self.max_value is None or value <= self.max_value

    def describe(self) -> str:
        kind = "float" if self.allow_inf_nan else "finite float"
        return _bounded(kind, self.min_value, self.max_value)

    def from_son(self, value: Any) -> Any:
        return float(value) if isinstance(value, int) else value

    def value_schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        return _with_bounds({"type": "number"}, self.min_value, self.max_value)

    def value_bson_schema(self, expanding: set[Any]) -> dict[str, Any]:
        # Integers load as floats: other writers (JavaScript's driver) store 2.0 as an int.
        schema: dict[str, Any] = {"bsonType": ["double", "int", "long"]}
        return _with_bounds(schema, self.min_value, self.max_value)
