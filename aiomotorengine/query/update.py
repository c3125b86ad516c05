"""Compile update definitions (``{"name": "x"}``, ``inc__views=1``) into MongoDB updates
(no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from aiomotorengine.base.document import VERSION_KEY, BaseDocument
from aiomotorengine.base.fields import BaseField
from aiomotorengine.errors import InvalidQueryError, describe_value
from aiomotorengine.query.base import has_operator
from aiomotorengine.query.compiler import resolve_field_path

__all__ = ["UPDATE_OPERATORS", "compile_update"]

# keyword prefix -> (MongoDB operator, how the value is converted)
UPDATE_OPERATORS: dict[str, tuple[str, str]] = {
    "set": ("$set", "value"),
    "unset": ("$unset", "flag"),
    "inc": ("$inc", "number"),
    "dec": ("$inc", "negated"),
    "mul": ("$mul", "number"),
    "min": ("$min", "value"),
    "max": ("$max", "value"),
    "push": ("$push", "item"),
    "push_all": ("$push", "each"),
    "add_to_set": ("$addToSet", "item_or_each"),
    "pull": ("$pull", "item"),
    "pull_all": ("$pullAll", "items"),
    "pop": ("$pop", "pop"),
}


def _unset(document: type[BaseDocument], field: BaseField[Any] | None, key: str) -> str:
    if field is not None and field.required:
        raise InvalidQueryError(
            f"{document.__name__}: {key} would remove the required field "
            f"{field.owner_name}.{field.name}"
        )
    return ""


def _check(document: type[BaseDocument], field: BaseField[Any] | None, value: Any) -> Any:
    if field is None or value is None:
        return value
    return field.to_son(field.check(None, value))


def _list_item(
    document: type[BaseDocument],
    field: BaseField[Any] | None,
    item: BaseField[Any] | None,
    value: Any,
    key: str,
) -> Any:
    """One item for $push/$addToSet/$pull/$pullAll, checked by the item field. A converted
    item holding a ``$`` key is refused: it would act as a modifier (``$each``, ``$slice``)
    or, in $pull, as a query operator matching every item."""
    converted = _check(document, item, value)
    if has_operator(converted):
        where = f"{field.owner_name}.{field.name}" if field is not None else document.__name__
        shown = item.safe_repr(value) if item is not None else describe_value(value)
        raise InvalidQueryError(
            f"{document.__name__}: {key} got {shown}, whose '$' keys would act as operators; "
            f"items of {where} cannot hold them"
        )
    return converted


def _convert(
    document: type[BaseDocument], field: BaseField[Any] | None, kind: str, value: Any, key: str
) -> Any:
    if kind == "value":
        return _check(document, field, value)
    if kind == "flag":
        return ""
    if kind in ("number", "negated"):
        number = value
        if isinstance(value, str) and field is not None:
            number = field.check(None, value)  # "2" from a form converts as the field does
        if not isinstance(number, (int, float, Decimal)) or isinstance(number, bool):
            raise InvalidQueryError(
                f"{document.__name__}: {key} needs a number, got {describe_value(value)}"
            )
        # Checked by the field too: inc__name=1 must not turn a string field into a number.
        return _check(document, field, -number if kind == "negated" else number)
    if field is not None and not field.takes_list_updates:
        raise InvalidQueryError(
            f"{document.__name__}: {key} needs a list field, and {field.owner_name}."
            f"{field.name} is a {type(field).__name__}"
        )
    item = field.element_field() if field is not None else None
    if kind == "item":
        return _list_item(document, field, item, value, key)
    if kind in ("each", "items", "item_or_each"):
        if kind == "item_or_each" and not isinstance(value, (list, tuple)):
            return _list_item(document, field, item, value, key)
        if not isinstance(value, (list, tuple)):
            raise InvalidQueryError(
                f"{document.__name__}: {key} needs a list, got {describe_value(value)}"
            )
        items = [_list_item(document, field, item, entry, key) for entry in value]
        return items if kind == "items" else {"$each": items}
    if kind == "pop":
        if isinstance(value, bool) or value not in (1, -1):
            raise InvalidQueryError(f"{document.__name__}: {key} takes 1 (last) or -1 (first)")
        return value
    raise AssertionError(kind)


def compile_update(
    document: type[BaseDocument],
    definition: Mapping[Any, Any] | None = None,
    operations: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The update document for ``definition`` (``{name_or_field: value}``, sent as
    ``$set``, ``None`` as ``$unset``) and MongoEngine-style ``operations`` (``inc__views=1``);
    for a versioned model (``__versioned__``), an ``$inc`` of the version too."""
    update: dict[str, dict[str, Any]] = {}
    paths: list[str] = []

    def add(operator: str, path: str, value: Any) -> None:
        if path == "_id" or path.startswith("_id."):
            raise InvalidQueryError(
                f"{document.__name__}: update() cannot change _id ({path!r}): MongoDB's _id "
                f"is immutable"
            )
        # MongoDB refuses two operations on one path (or on a path and its parent): say so
        # before sending, naming the model and the path.
        for other in paths:
            if path == other or path.startswith(other + ".") or other.startswith(path + "."):
                raise InvalidQueryError(
                    f"{document.__name__}: update() changes {path!r} twice"
                    + (f" (and {other!r})" if other != path else "")
                    + "; split it into separate update() calls"
                )
        paths.append(path)
        update.setdefault(operator, {})[path] = value

    for name, value in (definition or {}).items():
        if isinstance(name, BaseField) and document._fields.get(name.name) is not name:
            raise InvalidQueryError(f"{document.__name__}: {name!r} is not a field of this model")
        key = name.name if isinstance(name, BaseField) else name
        if not isinstance(key, str):
            raise InvalidQueryError(f"{document.__name__}: bad update key {name!r}")
        path, field, _ = resolve_field_path(document, key, allow_operator=False)
        if value is None:
            add("$unset", path, _unset(document, field, key))
        else:
            add("$set", path, _check(document, field, value))
    for key, value in (operations or {}).items():
        prefix, _, name = key.partition("__")
        if prefix not in UPDATE_OPERATORS or not name:
            known = ", ".join(sorted(UPDATE_OPERATORS))
            raise InvalidQueryError(
                f"{document.__name__}: unknown update {key!r}; use <operator>__<field> with one "
                f"of: {known}"
            )
        operator, kind = UPDATE_OPERATORS[prefix]
        path, field, _ = resolve_field_path(document, name, allow_operator=False)
        if operator == "$unset" or (operator == "$set" and value is None):
            add("$unset", path, _unset(document, field, key))
        else:
            add(operator, path, _convert(document, field, kind, value, key))
    if not update:
        raise InvalidQueryError(f"{document.__name__}: update() needs at least one change")
    if getattr(document, "__versioned__", False):  # copies loaded before are stale now
        add("$inc", VERSION_KEY, 1)
    return update
