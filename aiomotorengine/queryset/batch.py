"""``BatchQuery``: queue writes and send them together on one connection (cqlengine's batch).

Writes are validated when queued and sent when the ``async with`` block ends, as one ordered
``bulk_write`` per collection (collections in the order they were first written), optionally
inside one multi-document transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import bson
from pymongo import DeleteMany, DeleteOne, InsertOne, UpdateMany, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import BulkWriteError, DuplicateKeyError
from pymongo.results import BulkWriteResult

from aiomotorengine.base.document import VERSION_KEY, CollectionDocument
from aiomotorengine.base.state import Changes
from aiomotorengine.connection import declared_alias, get_connection, resolve_alias
from aiomotorengine.errors import ConnectionError, describe_value
from aiomotorengine.query.update import compile_update
from aiomotorengine.queryset.conflicts import (
    DocumentSave,
    batch_save_error,
    stale_saves,
    unapplied_saves,
)
from aiomotorengine.queryset.driver_errors import (
    checked_size,
    is_duplicate_key,
    unique_key_violation,
)
from aiomotorengine.queryset.indexes import prepared_collection

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["BatchQuery", "BatchedQuerySet"]

D = TypeVar("D", bound=CollectionDocument)

_Request = InsertOne[dict[str, Any]] | UpdateOne | UpdateMany | DeleteOne | DeleteMany


@dataclass
class _Write:
    model: type[CollectionDocument]
    request: _Request
    # Runs after the write was acknowledged (marks documents saved).
    finish: Callable[[], None] | None = None
    # The save of a loaded document (``update_one``): it must still exist, at its version.
    changes: Changes | None = None


@dataclass
class _Collection:
    name: str
    writes: list[_Write] = field(default_factory=list)


class BatchQuery:
    """Queue writes on one connection and send them when the block ends::

        async with BatchQuery(connection="cluster1") as batch:
            batch.create(Automobile, manufacturer="honda", year=2010)
            batch.save(car)                     # insert, or $set/$unset of what changed
            batch.delete(old_car)
            Automobile.objects.filter(year__lt=1990).batch(batch).delete()

    Each write is validated when queued; nothing is sent if the block raises. At the end, each
    collection gets one ordered ``bulk_write``; with ``transaction=True`` they all run in one
    multi-document transaction (all or nothing). ``connection=None`` is the connection in force
    when the block starts (the default, or a :func:`switch_connection` alias). Documents bound
    to another connection (loaded from it, ``using()``, ``__alias__``) are refused.
    """

    def __init__(self, connection: str | None = None, *, transaction: bool = False) -> None:
        self._connection = connection
        self._alias: str | None = None
        self.transaction = transaction
        self._collections: dict[str, _Collection] = {}
        self._pending_saves: dict[int, tuple[str, int]] = {}

    def __repr__(self) -> str:
        count = sum(len(c.writes) for c in self._collections.values())
        return f"<BatchQuery connection={self.alias!r} writes={count}>"

    @property
    def alias(self) -> str:
        """The connection alias every write of the batch goes to."""
        if self._alias is None:
            self._alias = self._connection or resolve_alias()
        return self._alias

    # --- queueing --------------------------------------------------------------------------
    def _check_alias(self, model: type[CollectionDocument], chosen: str | None, what: str) -> None:
        own = declared_alias(model, model.__alias__, chosen)
        if own is not None and own != self.alias:
            raise ConnectionError(
                f"{model.__name__}: {what} uses connection {own!r}, but this batch runs on "
                f"{self.alias!r}; every write of a batch must use the batch's connection"
            )

    def _queue(self, model: type[CollectionDocument], write: _Write) -> tuple[str, int]:
        name = model.__collection__
        collection = self._collections.setdefault(name, _Collection(name))
        collection.writes.append(write)
        return name, len(collection.writes) - 1

    def save(self, document: D) -> D:
        """Queue the insert of a new document (its ``_id`` is assigned now) or the
        ``$set``/``$unset`` of what changed in a loaded one. Validates now."""
        model = self._document_class(document, "save")
        state = document._state
        self._check_alias(model, state.alias, f"{document!r}")
        alias = self.alias
        write: _Write
        # Sizes are checked now: in a bulk write, the server would refuse a document over
        # MongoDB's limit only after applying the writes before it.
        codec_options = get_connection(alias).collection(model.__collection__).codec_options
        if not state.persisted:
            son = document._insert_son(assign_id=True)
            checked_size(model, son, bson.encode(son, codec_options=codec_options))
            write = _Write(model, InsertOne(son), lambda: document._inserted(son, alias))
        else:
            changes = document._changes()
            if changes is None:
                return document
            spec = changes.update
            checked_size(model, changes.written(), bson.encode(spec, codec_options=codec_options))
            write = _Write(
                model,
                UpdateOne(changes.filter, spec),
                lambda: document._updated(changes, alias),
                changes=changes,
            )
        previous = self._pending_saves.get(id(document))
        if previous is not None:  # saved again before the batch ran: the latest state wins
            name, index = previous
            self._collections[name].writes[index] = write
        else:
            self._pending_saves[id(document)] = self._queue(model, write)
        return document

    def create(self, model: type[D], /, **values: Any) -> D:
        """Build a ``model`` document from ``values``, validate it and queue its insert.

        Returns the document, its ``_id`` already assigned."""
        if not _is_document_class(model):
            raise TypeError(f"BatchQuery.create() takes a Document class, got {model!r}")
        return self.save(model(**values))

    def delete(self, document: CollectionDocument) -> None:
        """Queue the deletion of ``document`` (by ``_id``; nothing when it has none)."""
        model = self._document_class(document, "delete")
        self._check_alias(model, document._state.alias, f"{document!r}")
        identifier = document._stored_id()
        if identifier is None:
            return
        # A save queued later must come after this delete, not replace a save before it.
        self._pending_saves.pop(id(document), None)
        self._queue(model, _Write(model, DeleteOne({"_id": identifier})))

    def _document_class(self, document: CollectionDocument, what: str) -> type[CollectionDocument]:
        model = type(document)
        if not _is_document_class(model):
            raise TypeError(f"BatchQuery.{what}() takes a document, got {describe_value(document)}")
        return model

    # --- sending ---------------------------------------------------------------------------
    async def __aenter__(self) -> Self:
        get_connection(self.alias)  # an unknown alias fails here, before any work
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.clear()
            return
        await self.execute()

    def clear(self) -> None:
        """Drop every queued write."""
        self._collections = {}
        self._pending_saves = {}

    async def execute(self) -> None:
        """Send the queued writes now (``async with`` does this at the end of the block)."""
        collections = list(self._collections.values())
        self.clear()
        if not collections:
            return
        handle = get_connection(self.alias)
        # Every model's declared indexes first: nothing is written if one cannot be created.
        models = dict.fromkeys(write.model for queued in collections for write in queued.writes)
        for model in models:
            await prepared_collection(model, self.alias)
        for collection in collections:  # a stale copy of a versioned document stops it all
            saves = [(w.model, w.changes) for w in collection.writes if w.changes is not None]
            stale = await stale_saves(handle.collection(collection.name), saves)
            if stale:
                raise batch_save_error(collection.name, stale, len(saves), "nothing was written")
        if not self.transaction:
            for collection in collections:
                await self._write(handle.collection(collection.name), collection, None)
            return

        async def run(session: AsyncClientSession) -> None:
            for collection in collections:
                await self._write(handle.collection(collection.name), collection, session)

        async with handle.client.start_session() as session:
            await session.with_transaction(run)
        for collection in collections:
            _finish(collection.writes)

    async def _write(
        self, target: Any, collection: _Collection, session: AsyncClientSession | None
    ) -> BulkWriteResult:
        writes = collection.writes
        try:
            result: BulkWriteResult = await target.bulk_write(
                [write.request for write in writes], ordered=True, session=session
            )
        except BulkWriteError as error:
            errors = (error.details or {}).get("writeErrors") or [{}]
            index = errors[0].get("index", 0)
            if session is None:
                _finish(writes[:index])  # ordered: those before the failure were applied
            if is_duplicate_key(error):
                raise unique_key_violation(writes[index].model, error) from None
            raise
        except DuplicateKeyError as error:
            raise unique_key_violation(writes[0].model, error) from None
        saves = [(write.model, write.changes) for write in writes if write.changes is not None]
        # update_many requests count towards matched_count too: the count then proves nothing.
        unmatched = (
            None
            if any(isinstance(write.request, UpdateMany) for write in writes)
            else len(saves) - result.matched_count
        )
        failed: list[tuple[DocumentSave, Any]] = []
        if unmatched or (
            unmatched is None and any(VERSION_KEY in changes.filter for _, changes in saves)
        ):
            failed = await unapplied_saves(target, saves, unmatched, session)
        if session is None:
            unapplied = {id(changes) for (_, changes), _ in failed}
            _finish(
                [
                    write
                    for write in writes
                    if write.changes is None or id(write.changes) not in unapplied
                ]
            )
        if failed:
            outcome = (
                "the transaction was rolled back" if session else "nothing was written for them"
            )
            raise batch_save_error(collection.name, failed, len(saves), outcome)
        return result


def _finish(writes: list[_Write]) -> None:
    for write in writes:
        if write.finish is not None:
            write.finish()


def _is_document_class(model: object) -> bool:
    return isinstance(model, type) and issubclass(model, CollectionDocument)


class Selection(Protocol[D]):
    """What a batch needs of a queryset: its model, connection and filter."""

    _document: type[D]
    _alias: str | None

    @property
    def query(self) -> dict[str, Any]: ...

    def refuse_skip_limit(self, action: str) -> None: ...


class BatchedQuerySet(Generic[D]):
    """A queryset whose writes go to a :class:`BatchQuery` instead of the server::

    Automobile.objects.batch(batch).create(manufacturer="honda")
    Automobile.objects.filter(year__lt=1990).batch(batch).delete()
    """

    def __init__(self, batch: BatchQuery, queryset: Selection[D]) -> None:
        self._batch = batch
        self._queryset = queryset
        document = queryset._document
        batch._check_alias(document, queryset._alias, f"{document.__name__}.objects")

    def create(self, **values: Any) -> D:
        """Build, validate and queue the insert of a document; returns it (``_id`` set)."""
        return self._batch.create(self._queryset._document, **values)

    def delete(self) -> None:
        """Queue the deletion of every matching document."""
        queryset = self._queryset
        queryset.refuse_skip_limit("delete")
        self._batch._queue(
            queryset._document, _Write(queryset._document, DeleteMany(queryset.query))
        )

    def update(self, definition: Mapping[Any, Any] | None = None, **operations: Any) -> None:
        """Queue an update of every matching document (as ``QuerySet.update``)."""
        queryset = self._queryset
        queryset.refuse_skip_limit("update")
        spec = compile_update(queryset._document, definition, operations)
        self._batch._queue(
            queryset._document, _Write(queryset._document, UpdateMany(queryset.query, spec))
        )
