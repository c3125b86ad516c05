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
from pymongo.errors import DocumentTooLarge, DuplicateKeyError

from aiomotorengine.base.document import CollectionDocument
from aiomotorengine.errors import DocumentDeletedError
from aiomotorengine.queryset.conflicts import unmatched_save
from aiomotorengine.queryset.driver_errors import (
    MAX_DOCUMENT_BYTES,
    document_too_large,
    unique_key_violation,
)
from aiomotorengine.queryset.indexes import prepared_collection

__all__ = [
    "delete_document",
    "encode_for_insert",
    "reload_document",
    "save_document",
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


async def save_document(document: D, alias: str | None = None) -> D:
    """Insert a new document, or send what changed in a loaded one (``$set``/``$unset``,
    ``$push``/``$pullAll`` for lists).

    Saves of one document run one after the other: a second ``save()`` started while the
    first is in flight waits for it, then sends what is still unsaved (never a second insert).
    """
    state = document._state
    await state.begin_save()
    try:
        return await _save(document, alias)
    finally:
        state.end_save()


async def _save(document: D, alias: str | None) -> D:
    document_class = type(document)
    state = document._state
    alias = alias or state.alias
    # Validated before any round trip: an invalid document sends nothing, not even indexes.
    if not state.persisted:
        son = document._insert_son()
        resolved, collection = await prepared_collection(document_class, alias)
        try:
            await collection.insert_one(son)
        except DuplicateKeyError as error:
            raise unique_key_violation(document_class, error) from None
        except DocumentTooLarge:
            raise document_too_large(document_class, son) from None
        document._inserted(son, resolved)
        return document
    changes = document._changes()
    if changes is None:
        return document
    resolved, collection = await prepared_collection(document_class, alias)
    try:
        result = await collection.update_one(changes.filter, changes.update)
    except DuplicateKeyError as error:
        raise unique_key_violation(document_class, error) from None
    except DocumentTooLarge:
        raise document_too_large(document_class, changes.written()) from None
    if result.matched_count == 0:
        raise await unmatched_save(document_class, collection, changes)
    document._updated(changes, resolved)
    return document


async def delete_document(document: CollectionDocument, alias: str | None = None) -> int:
    """Delete one document by ``_id``; returns 0 or 1."""
    identifier = document._stored_id()
    if identifier is None:
        return 0
    _, collection = await prepared_collection(type(document), alias or document._state.alias)
    result = await collection.delete_one({"_id": identifier})
    return result.deleted_count


async def reload_document(document: D, alias: str | None = None) -> D:
    """Replace the document's state with its database copy."""
    document_class = type(document)
    resolved, collection = await prepared_collection(document_class, alias or document._state.alias)
    identifier = document._stored_id()
    son = await collection.find_one({"_id": identifier})
    if son is None:
        raise DocumentDeletedError(
            f"{document_class.__name__} _id={identifier!r} does not exist in collection "
            f"{document_class.__collection__!r}"
        )
    document._reloaded(son, resolved)
    return document
