"""Writing one document: insert, delta update, whole-document copy, delete, reload.

A document goes back where it lives (the connection and database it was loaded from or saved
to) unless ``using()`` or an explicit alias names another place (:func:`write_place`). At home a
save sends only what changed; elsewhere it writes the whole document (insert, or replace by
``_id``), and the document lives there from then on. What to send is the document's business
(``_insert_son``, ``_changes``, ``_whole_son``); this module sends it and tells the document what
was applied (``_inserted``, ``_updated``, ``_reloaded``).
"""

from __future__ import annotations

from typing import Any, TypeVar

from bson import ObjectId
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DocumentTooLarge, DuplicateKeyError

from aiomotorengine.base.document import CollectionDocument
from aiomotorengine.base.state import Place
from aiomotorengine.connection import WriteConcernOption, write_concern_option
from aiomotorengine.errors import DocumentDeletedError
from aiomotorengine.queryset.conflicts import unmatched_save
from aiomotorengine.queryset.driver_errors import (
    UNENCODABLE,
    document_too_large,
    encoded_all,
    unencodable,
    unique_key_violation,
)
from aiomotorengine.queryset.indexes import database_name, prepared_collection, resolve_place
from aiomotorengine.queryset.transactions import remember_state, session_for

__all__ = [
    "delete_document",
    "encode_for_insert",
    "lives_at",
    "reload_document",
    "save_document",
    "write_place",
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
    for son in sons:
        if son.get("_id") is None:
            son["_id"] = ObjectId()
    return [RawBSONDocument(data) for data in encoded_all(document, sons, codec_options)]


def write_place(
    document: CollectionDocument, alias: str | None = None, db: str | None = None
) -> Place:
    """Where the next write of ``document`` goes. Each part (connection, database) is the one
    given here, else the one ``using()`` named, else where the document lives; the database
    of a document that lives in its connection's default one is the default of the connection
    it goes to. A new document goes where its model's queries go."""
    state = document._state
    target_alias, target_db = state.target or (None, None)
    return resolve_place(
        type(document), alias or target_alias or state.alias, db or target_db or state.db
    )


def lives_at(document: CollectionDocument, place: Place) -> bool:
    """Whether the saved ``document`` lives at ``place`` (one loaded without saying where,
    with ``from_son``, lives where its model's queries go)."""
    state = document._state
    home = resolve_place(type(document)) if state.alias is None else Place(state.alias, state.db)
    if home.alias != place.alias:
        return False
    return home.db == place.db or database_name(home) == database_name(place)


async def save_document(
    document: D,
    alias: str | None = None,
    db: str | None = None,
    *,
    write_concern: WriteConcernOption | None = None,
) -> D:
    """Insert a new document, send what changed in a loaded one (``$set``/``$unset``,
    ``$push``/``$pullAll`` for lists; filtering on ``_id`` and the shard key), or write it whole
    to a connection or database it does not live in yet (see :func:`write_place`), with
    ``write_concern`` if given.

    Saves of one document run one after the other: a second ``save()`` started while the
    first is in flight waits for it, then sends what is still unsaved (never a second insert).
    """
    state = document._state
    await state.begin_save()
    try:
        return await _save(document, alias, db, write_concern)
    finally:
        state.end_save()


async def _target(
    document: CollectionDocument,
    place: Place,
    write_concern: WriteConcernOption | None,
    action: str,
) -> tuple[Place, AsyncCollection[dict[str, Any]]]:
    """The place and collection of a write of ``document`` (with ``write_concern``, if any)."""
    place, collection = await prepared_collection(type(document), *place)
    if write_concern is not None:
        where = f"{type(document).__name__}.{action}(write_concern=...)"
        collection = collection.with_options(
            write_concern=write_concern_option(write_concern, where)
        )
    return place, collection


async def _save(
    document: D, alias: str | None, db: str | None, write_concern: WriteConcernOption | None
) -> D:
    document_class = type(document)
    state = document._state
    place = write_place(document, alias, db)
    # Validated before any round trip: an invalid document sends nothing, not even indexes.
    if not state.persisted or not lives_at(document, place):
        son = document._whole_son() if state.persisted else document._insert_son()
        place, collection = await _target(document, place, write_concern, "save")
        session = session_for(place)
        try:
            if state.persisted:  # a copy: insert, or replace the one there with this _id
                await collection.replace_one({"_id": son["_id"]}, son, upsert=True, session=session)
            else:
                await collection.insert_one(son, session=session)
        except DuplicateKeyError as error:
            raise unique_key_violation(document_class, error) from None
        except DocumentTooLarge:
            raise document_too_large(document_class, son) from None
        except UNENCODABLE as error:
            raise unencodable(document_class, son, error) from None
        remember_state(document, place)
        document._inserted(son, place)
        return document
    changes = document._changes()
    if changes is None:
        return document
    place, collection = await _target(document, place, write_concern, "save")
    session = session_for(place)
    try:
        result = await collection.update_one(changes.filter, changes.update, session=session)
    except DuplicateKeyError as error:
        raise unique_key_violation(document_class, error) from None
    except DocumentTooLarge:
        raise document_too_large(document_class, changes.written()) from None
    except UNENCODABLE as error:
        raise unencodable(document_class, changes.written(), error) from None
    if result.matched_count == 0:
        raise await unmatched_save(document_class, collection, changes, session)
    remember_state(document, place)
    document._updated(changes, place)
    return document


async def delete_document(
    document: CollectionDocument,
    alias: str | None = None,
    write_concern: WriteConcernOption | None = None,
) -> int:
    """Delete one document by ``_id`` (and shard key) where it lives (or where ``using()``
    sends it); returns 0 or 1."""
    if document._stored_id() is None:
        return 0
    selector = document._stored_filter()
    place, collection = await _target(
        document, write_place(document, alias), write_concern, "delete"
    )
    result = await collection.delete_one(selector, session=session_for(place))
    return result.deleted_count


async def reload_document(document: D, alias: str | None = None) -> D:
    """Replace the document's state with its database copy (found by ``_id`` and shard key,
    where it lives, or where ``using()`` sends it; it lives there from then on)."""
    document_class = type(document)
    selector = document._stored_filter()
    place, collection = await prepared_collection(document_class, *write_place(document, alias))
    identifier = document._stored_id()
    son = await collection.find_one(selector, session=session_for(place))
    if son is None:
        raise DocumentDeletedError(
            f"{document_class.__name__} _id={identifier!r} does not exist in collection "
            f"{document_class.__collection__!r}"
        )
    remember_state(document, place)
    document._reloaded(son, place)
    return document
