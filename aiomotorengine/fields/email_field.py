"""``EmailField``."""

from __future__ import annotations

import re
from typing import Any

from aiomotorengine.fields.string_field import StringField

__all__ = ["EmailField"]

_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


class EmailField(StringField):
    """An e-mail address (``local@domain.tld``)."""

    def validate(self, value: Any) -> bool:
        return super().validate(value) and (value is None or bool(_EMAIL.match(value)))

    def describe(self) -> str:
        return "an e-mail address"

    def value_schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        return {**super().value_schema(definitions), "format": "email"}
