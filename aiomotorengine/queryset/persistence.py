"""Writing one document: insert, delta update, delete, reload; driver error translation."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError

from aiomotorengine.connection import get_connection, resolve_alias
from aiomotorengine.document import BaseDocument
from aiomotorengine.errors import (
    DocumentDeletedError,
    InvalidDocumentError,
    UniqueKeyViolationError,
    describe_value,
)
from aiomotorengine.fields.base_field import BaseField

if TYPE_CHECKING:
    from aiomotorengine.document import Document

__all__ = [
    "collection_for",
    "delete_document",
    "reload_document",
    "save_document",
    "stored_id",
    "translate_duplicate_key",
]

D = TypeVar("D", bound="Document")


def collection_for(
    document: type[Document], alias: str | None = None
) -> tuple[str, AsyncCollection[dict[str, Any]]]:
    """The alias a query on ``document`` uses and the collection there."""
    resolved = resolve_alias(document, document.__alias__, alias)
    return resolved, get_connection(resolved).collection(document.__collection__)


def translate_duplicate_key(
    document: type[Document], error: DuplicateKeyError | BulkWriteError
) -> UniqueKeyViolationError:
    """``UniqueKeyViolationError`` naming the model and fields (attribute names, dotted into
    embedded documents), from the server's structured error (``keyPattern``/``keyValue``),
    never from its message text."""
    details: Mapping[str, Any] = error.details or {}
    if isinstance(error, BulkWriteError):
        write_errors = details.get("writeErrors") or [{}]
        details = next((e for e in write_errors if e.get("code") == 11000), write_errors[0])
    key_pattern = details.get("keyPattern") or {}
    key_value = details.get("keyValue") or {}
    fields = tuple(_attribute_path(document, key)[0] for key in (key_pattern or key_value))
    shown = []
    for key, value in key_value.items():
        name, field = _attribute_path(document, key)
        shown.append(f"{name}={field.safe_repr(value) if field else describe_value(value)}")
    what = f" ({', '.join(shown)})" if shown else ""
    names = ", ".join(fields) or "a unique index"
    return UniqueKeyViolationError(
        f"{document.__name__}: another document already has this value for {names}{what}",
        model=document.__name__,
        fields=fields,
        key_value=dict(key_value),
    )


def _attribute_path(document: type[Document], db_path: str) -> tuple[str, BaseField[Any] | None]:
    """``"address.c"`` -> ``("address.code", field)``; unknown parts are kept as they are."""
    names: list[str] = []
    by_db_field: Mapping[str, BaseField[Any]] | None = document._fields_by_db_field
    field: BaseField[Any] | None = None
    for part in db_path.split("."):
        field = by_db_field.get(part) if by_db_field is not None else None
        if field is None:
            names.append(part)
            by_db_field = None
            continue
        names.append(field.name)
        sub_fields = field.sub_fields()
        by_db_field = (
            {sub.db_field: sub for sub in sub_fields.values()} if sub_fields is not None else None
        )
    return ".".join(names), field


def prepare_insert(document: Document) -> dict[str, Any]:
    """Run insert hooks, validate, and return the SON to insert (nothing is sent)."""
    document._apply_save_hooks(creating=True)
    document._validate(all_fields=True)
    return document.to_son()


def finish_insert(document: Document, son: dict[str, Any], alias: str) -> None:
    document._values["_id"] = son["_id"]
    document.__dict__["_alias"] = alias
    document._mark_saved(son)


def compute_update(document: Document) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Run update hooks, validate, and return ``($set, $unset)``; ``None`` when unchanged."""
    # Validate first: values changed in place (a dict appended to a list of embedded
    # documents, a wrong item type) must fail as InvalidDocumentError, not in to_son.
    document._validate(all_fields=False)
    sets: dict[str, Any] = {}
    unsets: dict[str, Any] = {}
    document._delta("", sets, unsets)
    if not sets and not unsets:
        return None
    if document._apply_save_hooks(creating=False):
        sets.clear()
        unsets.clear()
        document._delta("", sets, unsets)
    if "_id" in sets or "_id" in unsets:
        raise _id_changed(document)
    if document._loaded is not None:
        _refuse_partial_overwrites(document, sets, document._loaded)
    return sets, unsets


def stored_id(document: Document) -> Any:
    """The ``_id`` the document has in the database (an assigned ``_id`` of a saved document
    is not it: it never selects another document)."""
    identifier = document._raw.get("_id")
    return document._id if identifier is None else identifier


def _id_changed(document: Document) -> InvalidDocumentError:
    model = type(document).__name__
    return InvalidDocumentError(
        f"{model}._id: cannot change the _id of a saved document (stored "
        f"{stored_id(document)!r}, now {describe_value(document._id)}): MongoDB's _id is "
        f"immutable; insert a new document instead. Nothing was written",
        model=model,
        field="_id",
        value=document._id,
    )


def _refuse_partial_overwrites(
    document: Document, sets: dict[str, Any], loaded: frozenset[str]
) -> None:
    """A projection of sub-fields (``only("comments__text")``, ``exclude("address__zip")``)
    loads parts of a value; ``$set`` of the whole value would drop the parts not loaded.
    The projected paths (dotted, as stored) are in ``loaded`` beside the field names."""
    for path in loaded:
        if "." not in path:
            continue
        path = path.removeprefix("!")  # an excluded sub-path: partial all the same
        for key in sets:
            if not path.startswith(key + ".") or _is_new_value(document, key):
                continue
            field = document._fields_by_db_field.get(key.split(".", 1)[0])
            name = field.name if field is not None else key
            model = type(document).__name__
            raise InvalidDocumentError(
                f"{model}.{name}: loaded partially by the query's projection ({path!r}); "
                f"saving it whole would drop what was not loaded. Query it whole to change "
                f"it. Nothing was written",
                model=model,
                field=name,
                value=sets[key],
            )


def _is_new_value(document: Document, key: str) -> bool:
    """Whether the top-level value at ``key`` is embedded documents assigned anew (none of
    them loaded). Other values (dicts, lists) may have been changed in place: never new."""
    field = document._fields_by_db_field.get(key)
    if field is None or not field.holds_documents:
        return False
    value = document._values.get(field.name)
    stored = document._raw.get(key)
    items = value if isinstance(value, list) else [value]
    loaded_items = stored if isinstance(stored, list) else [stored]
    return not any(
        isinstance(item, BaseDocument) and any(item._raw is son for son in loaded_items)
        for item in items
    )


def update_spec(sets: dict[str, Any], unsets: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if sets:
        spec["$set"] = sets
    if unsets:
        spec["$unset"] = unsets
    return spec


def finish_update(
    document: Document, sets: dict[str, Any], unsets: dict[str, Any], alias: str
) -> None:
    raw = document._raw
    for path, value in sets.items():
        container, key = _walk(raw, path)
        container[key] = value
    for path in unsets:
        container, key = _walk(raw, path)
        container.pop(key, None)
    document.__dict__["_alias"] = alias
    document._mark_saved(raw)


def _walk(raw: dict[str, Any], path: str) -> tuple[dict[str, Any], str]:
    *parents, key = path.split(".")
    container = raw
    for part in parents:
        child = container.get(part)
        if not isinstance(child, dict):
            child = container[part] = {}
        container = child
    return container, key


async def save_document(document: D, alias: str | None = None) -> D:
    """Insert a new document, or ``$set``/``$unset`` what changed in a loaded one.

    Saves of one document run one after the other: a second ``save()`` started while the
    first is in flight waits for it, then sends what is still unsaved (never a second insert).
    """
    state = document.__dict__
    while (in_flight := state.get("_saving")) is not None:
        await asyncio.wait((in_flight,))
    done = state["_saving"] = asyncio.get_running_loop().create_future()
    try:
        return await _save(document, alias)
    finally:
        del state["_saving"]
        done.set_result(None)


async def _save(document: D, alias: str | None) -> D:
    document_class = type(document)
    resolved, collection = collection_for(document_class, alias or document._alias)
    if not document._persisted:
        son = prepare_insert(document)
        try:
            await collection.insert_one(son)
        except DuplicateKeyError as error:
            raise translate_duplicate_key(document_class, error) from None
        finish_insert(document, son, resolved)
        return document
    change = compute_update(document)
    if change is None:
        return document
    sets, unsets = change
    identifier = stored_id(document)
    try:
        result = await collection.update_one({"_id": identifier}, update_spec(sets, unsets))
    except DuplicateKeyError as error:
        raise translate_duplicate_key(document_class, error) from None
    if result.matched_count == 0:
        raise DocumentDeletedError(
            f"{document_class.__name__} _id={identifier!r} no longer exists in collection "
            f"{document_class.__collection__!r} (deleted meanwhile?); nothing was written"
        )
    finish_update(document, sets, unsets, resolved)
    return document


async def delete_document(document: Document, alias: str | None = None) -> int:
    """Delete one document by ``_id``; returns 0 or 1."""
    identifier = stored_id(document)
    if identifier is None:
        return 0
    _, collection = collection_for(type(document), alias or document._alias)
    result = await collection.delete_one({"_id": identifier})
    return result.deleted_count


async def reload_document(document: D, alias: str | None = None) -> D:
    """Replace the document's state with its database copy."""
    document_class = type(document)
    resolved, collection = collection_for(document_class, alias or document._alias)
    identifier = stored_id(document)
    son = await collection.find_one({"_id": identifier})
    if son is None:
        raise DocumentDeletedError(
            f"{document_class.__name__} _id={identifier!r} does not exist in collection "
            f"{document_class.__collection__!r}"
        )
    state = document.__dict__
    for name in [name for name in state if not name.startswith("_")]:
        del state[name]
    state.pop("_defaulted", None)
    state.pop("_deleted", None)  # an unsaved ``del doc.key`` is a local change too
    state.update(_raw=son, _values={}, _loaded=None, _persisted=True, _alias=resolved)
    return document
