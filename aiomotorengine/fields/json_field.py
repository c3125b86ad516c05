"""``JsonField``: any JSON-shaped value, stored as native BSON."""

from __future__ import annotations

import json
import math
from typing import Any

from aiomotorengine.base.fields import INT64_MAX, INT64_MIN, BaseField

__all__ = ["JsonField"]

_SCALARS = (str, int, float, bool, type(None))


def _is_json(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)  # JSON has no NaN or infinities
    if isinstance(value, int) and not isinstance(value, bool):
        return INT64_MIN <= value <= INT64_MAX  # BSON holds no larger ints
    if isinstance(value, _SCALARS):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_json(item) for item in value)
    if isinstance(value, dict):
        return all(_is_key(key) and _is_json(item) for key, item in value.items())
    return False


def _is_key(key: Any) -> bool:
    """A key MongoDB stores and addresses as one path part: a non-empty str without ``.``
    (a path separator) or NUL (which BSON cannot hold)."""
    return isinstance(key, str) and key != "" and "." not in key and "\0" not in key


class JsonField(BaseField[Any]):
    """Dicts, lists, strings, numbers and booleans, stored as native BSON (queryable).

    Values that aiomotorengine 0.x stored as JSON text load as well: a stored string that
    begins with ``{`` or ``[`` and parses as JSON is read as the parsed value.
    """

    python_types = (dict, list, str, int, float, bool)
    takes_list_updates = True
    schemaless = True
    geo_queries = True

    def validate(self, value: Any) -> bool:
        # Keys starting with "$" would read as operators in updates and filters: refused.
        return _is_json(value) and not _has_operator(value)

    def describe(self) -> str:
        return (
            "a JSON-compatible value (dict, list, str, finite number, bool; ints within 64 "
            "bits; keys non-empty strings without '.', NUL or a leading '$')"
        )

    def to_son(self, value: Any) -> Any:
        return _to_bson(value)

    def value_bson_schema(self, expanding: set[Any]) -> dict[str, Any]:
        return {"bsonType": ["object", "array", "string", "int", "long", "double", "bool"]}

    def from_son(self, value: Any) -> Any:
        if isinstance(value, str) and value[:1] in ("{", "["):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return super().from_son(value)  # a copy: in-place changes must be seen by save()

    def accepts_container(self, value: Any) -> bool:
        return _is_json(value) and not _has_operator(value)


def _to_bson(value: Any) -> Any:
    """A copy sharing nothing with ``value``, tuples as lists (as the server stores them, so
    an unchanged value compares equal to its stored form)."""
    if isinstance(value, dict):
        return {key: _to_bson(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_bson(item) for item in value]
    return value


def _has_operator(value: Any) -> bool:
    if isinstance(value, dict):
        return any(key.startswith("$") or _has_operator(item) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return any(_has_operator(item) for item in value)
    return False
