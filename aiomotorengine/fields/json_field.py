"""``JsonField``: any JSON-shaped value, stored as native BSON."""

from __future__ import annotations

import json
import math
from typing import Any

from aiomotorengine.base.fields import INT64_MAX, INT64_MIN, MISSING, BaseField
from aiomotorengine.errors import InvalidDocumentError

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


def _legacy_json(text: str) -> Any:
    """The value 0.x stored as JSON ``text``: the object or array it holds when the field
    accepts it, else ``MISSING`` (the text reads as stored)."""
    if text[:1] not in ("{", "["):
        return MISSING
    try:
        value = json.loads(text)
        valid = _is_json(value) and not _has_operator(value)
    except (ValueError, RecursionError):
        return MISSING
    return value if valid else MISSING


class JsonField(BaseField[Any]):
    """Dicts, lists, strings, numbers and booleans, stored as native BSON (queryable).

    Values that aiomotorengine 0.x stored as JSON text load as well: a stored string that
    parses as a JSON object or array this field accepts is read as the parsed value. Such a
    string is therefore refused as a value (it would not read back as itself): assign its
    ``json.loads()`` instead.
    """

    python_types = (dict, list, str, int, float, bool)
    takes_list_updates = True
    schemaless = True
    geo_queries = True

    def validate(self, value: Any) -> bool:
        if isinstance(value, str):  # stored strings must read back as themselves
            return _legacy_json(value) is MISSING
        # Keys starting with "$" would read as operators in updates and filters: refused.
        return _is_json(value) and not _has_operator(value)

    def invalid(self, instance: Any, value: Any, reason: str | None = None) -> InvalidDocumentError:
        if reason is None and isinstance(value, str):  # the one kind of str validate refuses
            reason = (
                "JSON text of an object or array would load as the parsed value; assign "
                "json.loads() of it instead"
            )
        return super().invalid(instance, value, reason)

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
        if isinstance(value, str):
            parsed = _legacy_json(value)
            return value if parsed is MISSING else parsed
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
