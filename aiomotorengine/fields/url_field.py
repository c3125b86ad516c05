"""``URLField``."""

from __future__ import annotations

import re
from typing import Any

from aiomotorengine.fields.string_field import StringField

__all__ = ["URLField"]

_URL = re.compile(
    r"^(?:https?|ftps?)://"
    r"(?:[^:@/\s]+(?::[^@/\s]*)?@)?"
    r"(?:(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\.?"
    r"|localhost|\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\])"
    r"(?::\d{1,5})?(?:[/?#][^\s]*)?$",
    re.IGNORECASE,
)


class URLField(StringField):
    """An http(s) or ftp URL."""

    def validate(self, value: Any) -> bool:
        return super().validate(value) and (value is None or bool(_URL.match(value)))

    def describe(self) -> str:
        return "an http(s) or ftp URL"

    def value_schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        return {**super().value_schema(definitions), "format": "uri"}
