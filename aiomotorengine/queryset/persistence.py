"""Writing one document: insert, delta update, delete, reload.

What to send is the document's business (``_insert_son``, ``_changes``); this module sends it
and tells the document what was applied (``_inserted``, ``_updated``, ``_reloaded``).
"""

from __future__ import annotations

from typing import Any, TypeVar

import bson
from bson import ObjectId
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DocumentTooLarge, DuplicateKeyError

from aiomotorengine.base.document import CollectionDocument
from aiomotorengine.connection import WriteConcernOption, write_concern_option
from aiomotorengine.errors import DocumentDeletedError
from aiomotorengine.queryset.driver_errors import (
    MAX_DOCUMENT_BYTES,
    document_too_large,
    unique_key_violation,
)
from aiomotorengine.queryset.indexes import prepared_collection
from aiomotorengine.queryset.transactions import remember_state, session_for

__all__ = [
    "delete_document",
    "encode_for_insert",
    "reload_document",
    "save_document",
    "update_spec",
]

D = TypeVar("D", bound=CollectionDocument)


def encode_for_insert(
    document: type[CollectionDocument],
    sons: list[dict[str, Any]],
    codec_options: CodecOptions[Any],
) -> list[RawBSONDocument]:
    """``sons`` as the BSON to insert, encoded once (the driver sends raw BSON as it is), each
    given an ``_id`` as the driver would. A document over MongoDB's size limit is refused
    before anything is sent: in a bulk insert the server would refuse it only after storing
    the documents before it."""
    encode = bson.encode
    encoded = []
    for son in sons:
        if son.get("_id") is None:
            son["_id"] = ObjectId()
        data = encode(son, False, codec_options)
        if len(data) > MAX_DOCUMENT_BYTES:
            raise document_too_large(document, son)
        encoded.append(RawBSONDocument(data))
    return encoded


def update_spec(sets: dict[str, Any], unsets: dict[str, Any]) -> dict[str, Any]:
    """The update document for a ``($set, $unset)`` pair."""
    spec: dict[str, Any] = {}
    if sets:
        spec["$set"] = sets
    if unsets:
        spec["$unset"] = unsets
    return spec


async def save_document(
    document: D, alias: str | None = None, write_concern: WriteConcernOption | None = None
) -> D:
    """Insert a new document, or ``$set``/``$unset`` what changed in a loaded one (filtering
    on ``_id`` and the shard key), with ``write_concern`` if given.

    Saves of one document run one after the other: a second ``save()`` started while the
    first is in flight waits for it, then sends what is still unsaved (never a second insert).
    """
    state = document._state
    await state.begin_save()
    try:
        return await _save(document, alias, write_concern)
    finally:
        state.end_save()


async def _target(
    document: CollectionDocument,
    alias: str | None,
    write_concern: WriteConcernOption | None,
    action: str,
) -> tuple[str, AsyncCollection[dict[str, Any]]]:
    """The alias and collection of a write of ``document`` (with ``write_concern``, if any)."""
    resolved, collection = await prepared_collection(type(document), alias)
    if write_concern is not None:
        where = f"{type(document).__name__}.{action}(write_concern=...)"
        collection = collection.with_options(
            write_concern=write_concern_option(write_concern, where)
        )
    return resolved, collection


async def _save(document: D, alias: str | None, write_concern: WriteConcernOption | None) -> D:
    document_class = type(document)
    state = document._state
    alias = alias or state.alias
    # Validated before any round trip: an invalid document sends nothing, not even indexes.
    if not state.persisted:
        son = document._insert_son()
        resolved, collection = await _target(document, alias, write_concern, "save")
        try:
            await collection.insert_one(son, session=session_for(resolved))
        except DuplicateKeyError as error:
            raise unique_key_violation(document_class, error) from None
        except DocumentTooLarge:
            raise document_too_large(document_class, son) from None
        remember_state(document, resolved)
        document._inserted(son, resolved)
        return document
    change = document._changes()
    if change is None:
        return document
    sets, unsets = change
    selector = document._stored_filter()
    resolved, collection = await _target(document, alias, write_concern, "save")
    identifier = document._stored_id()
    try:
        result = await collection.update_one(
            selector, update_spec(sets, unsets), session=session_for(resolved)
        )
    except DuplicateKeyError as error:
        raise unique_key_violation(document_class, error) from None
    except DocumentTooLarge:
        raise document_too_large(document_class, sets) from None
    if result.matched_count == 0:
        raise DocumentDeletedError(
            f"{document_class.__name__} _id={identifier!r} no longer exists in collection "
            f"{document_class.__collection__!r} (deleted meanwhile?); nothing was written"
        )
    remember_state(document, resolved)
    document._updated(sets, unsets, resolved)
    return document


async def delete_document(
    document: CollectionDocument,
    alias: str | None = None,
    write_concern: WriteConcernOption | None = None,
) -> int:
    """Delete one document by ``_id`` (and shard key); returns 0 or 1."""
    if document._stored_id() is None:
        return 0
    selector = document._stored_filter()
    resolved, collection = await _target(
        document, alias or document._state.alias, write_concern, "delete"
    )
    result = await collection.delete_one(selector, session=session_for(resolved))
    return result.deleted_count


async def reload_document(document: D, alias: str | None = None) -> D:
    """Replace the document's state with its database copy (found by ``_id`` and shard key)."""
    document_class = type(document)
    selector = document._stored_filter()
    resolved, collection = await prepared_collection(document_class, alias or document._state.alias)
    identifier = document._stored_id()
    son = await collection.find_one(selector, session=session_for(resolved))
    if son is None:
        raise DocumentDeletedError(
            f"{document_class.__name__} _id={identifier!r} does not exist in collection "
            f"{document_class.__collection__!r}"
        )
    remember_state(document, resolved)
    document._reloaded(son, resolved)
    return document
