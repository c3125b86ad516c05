"""``FloatField``."""

from __future__ import annotations

from typing import Any

from aiomotorengine.base.fields import BaseField
from aiomotorengine.fields.int_field import _bounded

__all__ = ["FloatField"]


class FloatField(BaseField[float]):
    """A floating point number (ints are accepted and stored as floats)."""

    python_types = (float,)
    revalidate_on_save = False

    def __init__(
        self,
        min_value: float | None = None,
        max_value: float | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.min_value = min_value
        self.max_value = max_value
        if min_value is None and max_value is None:
            self.fast_types = (float,)

    def coerce(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        return value

    def validate(self, value: Any) -> bool:
        if value is None:
            return True
        if not isinstance(value, float):
            return False
        if self.min_value is not None and value < self.min_value:
            return False
        return self.max_value is None or value <= self.max_value

    def describe(self) -> str:
        return _bounded("float", self.min_value, self.max_value)

    def from_son(self, value: Any) -> Any:
        return float(value) if isinstance(value, int) else value
