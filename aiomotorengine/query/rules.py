"""The rulebook shared by querysets and aggregation pipelines (no I/O): what a field name is,
what a sort key is, what a count is, and how conditions ANDed into one filter merge.

``QuerySet`` and the pipeline builder both follow these rules, so ``order_by("age", True)``
or ``match(count=5, count__gt=1)`` mean the same thing, or fail the same way, in either.
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING

from aiomotorengine.base.document import BaseDocument
from aiomotorengine.base.fields import BaseField
from aiomotorengine.errors import InvalidQueryError, describe_value

__all__ = [
    "FieldName",
    "add_condition",
    "and_conditions",
    "count_argument",
    "field_name",
    "merge_and",
    "sort_key",
]

#: How callers name a field: its attribute name (``"address__city"``) or the field itself.
FieldName = str | BaseField[Any]


def field_name(
    document: type[BaseDocument], field: FieldName, where: str | None = None, *, own: bool = True
) -> str:
    """The name ``field`` stands for: a string as given (never empty or ``$``-prefixed), or a
    field's attribute name. While ``own``, a field must be one of ``document``'s own fields
    (``User.objects.order_by(Post.title)`` is an error). ``where`` starts error messages
    (default: the model's name)."""
    if isinstance(field, BaseField):
        if own and document._fields.get(field.name) is not field:
            raise InvalidQueryError(f"{document.__name__}: {field!r} is not a field of this model")
        return field.name
    if not isinstance(field, str) or not field or field.startswith("$"):
        raise InvalidQueryError(
            f"{where or document.__name__}: expected a field name or field, got "
            f"{describe_value(field)}"
        )
    return field


def sort_key(
    document: type[BaseDocument],
    field: FieldName,
    direction: Any,
    where: str | None = None,
    *,
    own: bool = True,
) -> tuple[str, int]:
    """``(name, direction)`` for sorting on ``field``: ``"-name"`` sorts descending whatever
    ``direction`` says; otherwise ``direction`` must be ``ASCENDING`` or ``DESCENDING`` (a
    ``bool`` is refused, although ``True == 1``)."""
    name = field_name(document, field, where, own=own)
    if name.startswith("-"):
        return name[1:], DESCENDING
    if isinstance(direction, bool) or direction not in (ASCENDING, DESCENDING):
        raise InvalidQueryError(
            f"{where or document.__name__}: sort direction must be ASCENDING (1) or "
            f"DESCENDING (-1), got {describe_value(direction)}"
        )
    return name, direction


def count_argument(what: str, count: Any, *, minimum: int = 0) -> int:
    """``count`` when it is an ``int`` of at least ``minimum`` (not a ``bool``); ``what``
    names the call in the error (``"limit"``: ``limit() takes a non-negative int``)."""
    if not isinstance(count, int) or isinstance(count, bool) or count < minimum:
        expected = "a non-negative int" if minimum == 0 else f"an int >= {minimum}"
        raise InvalidQueryError(f"{what}() takes {expected}, got {describe_value(count)}")
    return count


_ABSENT = object()


def add_condition(
    conditions: dict[str, Any], conflicts: list[dict[str, Any]], path: str, condition: Any
) -> None:
    """AND ``{path: condition}`` into keyword ``conditions``: a new path is added; operator
    conditions on one path merge when their operators differ (``$gt`` and ``$lt``); any other
    repeat (an equality, an operator twice) goes to ``conflicts``, which
    :func:`and_conditions` keeps under ``$and``: no condition is ever dropped."""
    existing = conditions.get(path, _ABSENT)
    if existing is _ABSENT:
        conditions[path] = condition
    elif _mergeable(existing, condition):
        conditions[path] = {**existing, **condition}
    else:
        conflicts.append({path: condition})


def and_conditions(conditions: dict[str, Any], conflicts: list[dict[str, Any]]) -> dict[str, Any]:
    """The filter of what :func:`add_condition` gathered."""
    return {"$and": [conditions, *conflicts]} if conflicts else conditions


def _mergeable(left: Any, right: Any) -> bool:
    # Both non-empty: an empty dict is an equality ({"meta": {}}), which merging would drop.
    return (
        isinstance(left, dict)
        and isinstance(right, dict)
        and bool(left)
        and bool(right)
        and all(key.startswith("$") for key in left)
        and all(key.startswith("$") for key in right)
        and not set(left) & set(right)
    )


def merge_and(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """AND filters: one dict when no key repeats, else ``$and`` (empty filters left out)."""
    kept: list[dict[str, Any]] = []
    merged: dict[str, Any] = {}
    size = 0
    for part in parts:
        if part:
            kept.append(part)
            merged |= part
            size += len(part)
    if len(kept) < 2:
        return kept[0] if kept else {}
    # No key repeats when the merged dict has as many keys as the parts together.
    return merged if len(merged) == size else {"$and": kept}
