"""A queryset's filter as the ``$match`` of a change stream (no I/O).

Change events carry the document under ``fullDocument`` and its identity under
``documentKey``: ``{"age": {"$gt": 18}}`` becomes ``{"fullDocument.age": {"$gt": 18}}`` and
``{"_id": x}`` becomes ``{"documentKey._id": x}``, through ``$and``/``$or``/``$nor``. Operators
that read the whole document (``$expr``, ``$where``, ``$text``...) cannot be moved under a prefix
and are refused.
"""

from __future__ import annotations

from typing import Any

from aiomotorengine.errors import InvalidQueryError

__all__ = ["change_stream_match", "filters_on_fields"]

_LOGICAL = frozenset({"$and", "$or", "$nor"})


def change_stream_match(model: str, query: dict[str, Any]) -> dict[str, Any]:
    """``query`` (a compiled filter of ``model``) on change events."""
    match: dict[str, Any] = {}
    for key, value in query.items():
        if key in _LOGICAL:
            match[key] = [change_stream_match(model, part) for part in value]
        elif key.startswith("$"):
            raise InvalidQueryError(
                f"{model}.objects.watch(): {key} cannot filter a change stream (it reads the "
                f"whole document); filter on fields instead"
            )
        elif key == "_id":
            match["documentKey._id"] = value
        else:
            match[f"fullDocument.{key}"] = value
    return match


def filters_on_fields(query: dict[str, Any]) -> bool:
    """Whether ``query`` tests a field other than ``_id`` (which needs ``fullDocument``)."""
    for key, value in query.items():
        if key in _LOGICAL:
            if any(filters_on_fields(part) for part in value):
                return True
        elif key != "_id":
            return True
    return False
