"""Compile keyword filters into MongoDB filter documents (no I/O).

Names resolve through each field's ``db_field``, through embedded documents and lists of them
(``address__street``, ``items__qty__gt``); values are converted by the field they filter on.
Resolutions are cached per model class.
"""

from __future__ import annotations

from typing import Any

from aiomotorengine.base.document import BaseDocument
from aiomotorengine.base.fields import BaseField
from aiomotorengine.errors import InvalidQueryError
from aiomotorengine.query.base import OPERATORS, QueryOperator
from aiomotorengine.query.rules import add_condition, and_conditions

__all__ = ["compile_filter", "resolve_field_path"]

_Resolution = tuple[str, BaseField[Any] | None, QueryOperator | None]


def resolve_field_path(
    document: type[BaseDocument], key: str, *, allow_operator: bool = True
) -> _Resolution:
    """``"address__street__startswith"`` -> (``"address.street"``, the field, the operator).

    Dotted names (``"address.street"``) are accepted too. Unknown names raise
    ``InvalidQueryError`` naming them.
    """
    cache = document._query_cache
    cache_key = key if allow_operator else "\0" + key
    cached = cache.get(cache_key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]

    parts = key.replace(".", "__").split("__") if "." in key else key.split("__")
    fields: dict[str, BaseField[Any]] | None = document._fields
    field: BaseField[Any] | None = None
    path: list[str] = []
    operator: QueryOperator | None = None
    schemaless = False
    extended = False  # names inside a JsonField: any key is valid, so they are not cached
    for index, part in enumerate(parts):
        if not part or part.startswith("$"):
            raise InvalidQueryError(f"{document.__name__}: invalid name {key!r}")
        is_last = index == len(parts) - 1
        if fields is not None and part in fields:
            field = fields[part]
            path.append(field.db_field)
            fields = field.sub_fields()
            schemaless = fields is None and field.schemaless
            continue
        if field is None and part in ("id", "pk") and fields is document._fields:
            field = fields.get("_id")
            if field is not None:
                path.append("_id")
                fields = None
                continue
        if allow_operator and is_last and field is not None and part in OPERATORS:
            operator = OPERATORS[part]
            break
        if schemaless:
            path.append(part)
            extended = True
            continue
        where = f"{document.__name__}.{'.'.join(path)}" if path else document.__name__
        if field is not None and fields is None:
            if allow_operator and is_last:
                raise InvalidQueryError(
                    f"{where}: unknown operator {part!r} (in {key!r}); "
                    f"known: {', '.join(sorted(OPERATORS))}"
                )
            raise InvalidQueryError(f"{where} has no sub-field {part!r} (in {key!r})")
        raise InvalidQueryError(
            f"{where} has no field {part!r} (in {key!r}); "
            f"known: {', '.join(sorted(fields)) if fields else 'none'}"
        )
    resolution: _Resolution = (".".join(path), field, operator)
    if not extended:  # user-chosen keys under a JsonField must not grow the cache forever
        cache[cache_key] = resolution
    return resolution


def _equality(field: BaseField[Any] | None, value: Any) -> Any:
    if field is None:
        return value
    if isinstance(value, (list, tuple)) and field.element_field() is not field:
        # A list for a ListField means "contains all of these", as in 0.x.
        return {"$all": field.to_query(value)}
    return field.to_query(value)


def compile_filter(document: type[BaseDocument], keywords: dict[str, Any]) -> dict[str, Any]:
    """The filter for keyword conditions (ANDed), e.g. ``{"age__gt": 20}``; conditions on one
    path merge by the rulebook's :func:`~aiomotorengine.query.rules.add_condition`."""
    result: dict[str, Any] = {}
    conflicts: list[dict[str, Any]] = []
    cache = document._query_cache
    for key, value in keywords.items():
        resolution = cache.get(key)
        if resolution is None:
            resolution = resolve_field_path(document, key)
        path, field, operator = resolution
        try:
            condition = (
                _equality(field, value) if operator is None else operator.condition(field, value)
            )
        except InvalidQueryError as error:
            # Name the queried model and the filter, whatever layer found the problem.
            raise InvalidQueryError(f"{document.__name__}.{key}: {error}") from None
        if path in result:
            add_condition(result, conflicts, path, condition)
        else:
            result[path] = condition  # add_condition's first case, inlined: this loop is hot
    return and_conditions(result, conflicts) if conflicts else result
