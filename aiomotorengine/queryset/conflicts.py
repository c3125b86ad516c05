"""Saves of loaded documents that matched nothing: the document was deleted meanwhile
(``DocumentDeletedError``) or, for a versioned model, saved by another writer since this copy
was loaded (``ConcurrentModificationError``). Telling them apart costs one read, on the failure
path only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

from aiomotorengine.base.document import VERSION_KEY, CollectionDocument
from aiomotorengine.base.fields import MISSING
from aiomotorengine.base.state import Changes
from aiomotorengine.errors import (
    AioMotorEngineError,
    ConcurrentModificationError,
    DocumentDeletedError,
)

__all__ = [
    "DocumentSave",
    "batch_save_error",
    "stale_saves",
    "unapplied_saves",
    "unmatched_save",
]

# A document save as a batch sent it: the model and the changes (filter and update).
DocumentSave = tuple[type[CollectionDocument], Changes]


async def unmatched_save(
    model: type[CollectionDocument],
    collection: AsyncCollection[dict[str, Any]],
    changes: Changes,
    session: AsyncClientSession | None,
) -> AioMotorEngineError:
    """The error for a save of a loaded ``model`` document whose update matched nothing (read
    in ``session``, the save's, if any)."""
    identifier = changes.filter["_id"]
    if VERSION_KEY not in changes.filter:
        return _deleted(model, identifier)
    found = await collection.find_one({"_id": identifier}, {VERSION_KEY: 1}, session=session)
    if found is None:
        return _deleted(model, identifier)
    expected = changes.filter[VERSION_KEY]
    stored = found.get(VERSION_KEY)
    return ConcurrentModificationError(
        f"{model.__name__} _id={identifier!r} was saved by another writer since this copy was "
        f"loaded (version {expected!r} expected, {stored!r} stored); nothing was written. "
        f"Reload it and apply the change again",
        model=model.__name__,
        document_id=identifier,
        expected_version=expected,
        stored_version=stored,
    )


def _deleted(model: type[CollectionDocument], identifier: Any) -> DocumentDeletedError:
    return DocumentDeletedError(
        f"{model.__name__} _id={identifier!r} no longer exists in collection "
        f"{model.__collection__!r} (deleted meanwhile?); nothing was written"
    )


async def unapplied_saves(
    collection: AsyncCollection[dict[str, Any]],
    saves: Sequence[DocumentSave],
    unmatched: int | None,
    session: AsyncClientSession | None,
) -> list[tuple[DocumentSave, Any]]:
    """Which of ``saves``, sent in one bulk write (in ``session``, if any), did not apply,
    each with the version stored now (``MISSING``: the document is gone). ``unmatched`` is how
    many matched nothing, when the bulk result tells (no ``update_many`` beside them).

    A bulk result counts unmatched updates without saying which, so one read tells: a deleted
    document, or a versioned one whose version is not the one the save sets. A versioned
    document at that version was saved by this batch or, rarely, by another writer that saved
    it exactly once between :func:`stale_saves` and the write; when the count says some are
    missing, those are reported too (unsure, never marked saved: their next save raises
    ``ConcurrentModificationError``)."""
    found = await _stored_versions(collection, saves, session)
    failed: list[tuple[DocumentSave, Any]] = []
    unsure: list[tuple[DocumentSave, Any]] = []
    for save in saves:
        selector = save[1].filter
        stored = found.get(selector["_id"], MISSING)
        if stored is MISSING:
            failed.append((save, stored))
        elif VERSION_KEY in selector:
            target = (selector[VERSION_KEY] or 0) + 1
            (unsure if stored == target else failed).append((save, stored))
    if unmatched is None or len(failed) < unmatched:
        failed.extend(unsure)
    return failed


async def stale_saves(
    collection: AsyncCollection[dict[str, Any]],
    saves: Sequence[DocumentSave],
    session: AsyncClientSession | None,
) -> list[tuple[DocumentSave, Any]]:
    """The saves of versioned documents, about to be sent, whose document is no longer at the
    version they expect, each with the version stored now (``MISSING``: the document is gone),
    read in ``session`` (an open transaction's, if any). A batch reads this before sending
    anything, so a stale copy stops it with nothing written; :func:`unapplied_saves` catches
    what changes between this read and the write."""
    versioned = [save for save in saves if VERSION_KEY in save[1].filter]
    if not versioned:
        return []
    found = await _stored_versions(collection, versioned, session)
    stale: list[tuple[DocumentSave, Any]] = []
    for save in versioned:
        selector = save[1].filter
        stored = found.get(selector["_id"], MISSING)
        if stored is MISSING or stored != selector[VERSION_KEY]:
            stale.append((save, stored))
    return stale


async def _stored_versions(
    collection: AsyncCollection[dict[str, Any]],
    saves: Sequence[DocumentSave],
    session: AsyncClientSession | None,
) -> dict[Any, Any]:
    """The version stored for the document of each save (``None``: none), by ``_id``; deleted
    documents are missing."""
    return {
        document["_id"]: document.get(VERSION_KEY)
        async for document in collection.find(
            {"_id": {"$in": [changes.filter["_id"] for _, changes in saves]}},
            {VERSION_KEY: 1},
            session=session,
        )
    }


def batch_save_error(
    collection: str, failed: list[tuple[DocumentSave, Any]], saves: int, outcome: str
) -> AioMotorEngineError:
    """The error for the saves of a batch that are stale or did not apply (see
    :func:`stale_saves`, :func:`unapplied_saves`); ``outcome`` says what became of the
    batch."""
    stale = [(save, stored) for save, stored in failed if stored is not MISSING]
    if not stale:
        models = sorted({model.__name__ for (model, _), _ in failed})
        return DocumentDeletedError(
            f"{', '.join(models)}: {len(failed)} of {saves} saved documents no longer exist in "
            f"collection {collection!r} (deleted meanwhile?); {outcome}"
        )
    (model, changes), stored = stale[0]
    shown = ", ".join(
        f"{save_model.__name__} _id={save.filter['_id']!r} (version "
        f"{save.filter.get(VERSION_KEY)!r} expected, {version!r} stored)"
        for (save_model, save), version in stale
    )
    return ConcurrentModificationError(
        f"{shown}: saved by another writer since loaded; {outcome}. Reload and apply the "
        f"changes again",
        model=model.__name__,
        document_id=changes.filter["_id"],
        expected_version=changes.filter.get(VERSION_KEY),
        stored_version=stored,
    )
