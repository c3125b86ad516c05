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
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError
from pymongo.results import BulkWriteResult

from aiomotorengine.base.document import CollectionDocument
from aiomotorengine.connection import (
    declared_alias,
    get_connection,
    resolve_alias,
    run_in_transaction,
)
from aiomotorengine.errors import (
    ConnectionError,
    DocumentDeletedError,
    describe_value,
)
from aiomotorengine.query.update import compile_update
from aiomotorengine.queryset.driver_errors import (
    checked_size,
    is_duplicate_key,
    unique_key_violation,
)
from aiomotorengine.queryset.indexes import prepared_collection
from aiomotorengine.queryset.persistence import update_spec
from aiomotorengine.queryset.transactions import remember_state, session_for

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
    # ``update_one`` of a loaded document: it must still exist.
    document_update: bool = False


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
            write = _Write(model, InsertOne(son), lambda: _inserted(document, son, alias))
        else:
            change = document._changes()
            if change is None:
                return document
            sets, unsets = change
            spec = update_spec(sets, unsets)
            checked_size(model, sets, bson.encode(spec, codec_options=codec_options))
            write = _Write(
                model,
                UpdateOne(document._stored_filter(), spec),
                lambda: _updated(document, sets, unsets, alias),
                document_update=True,
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
        """Queue the deletion of ``document`` (by ``_id`` and shard key; nothing when it has no
        ``_id``)."""
        model = self._document_class(document, "delete")
        self._check_alias(model, document._state.alias, f"{document!r}")
        if document._stored_id() is None:
            return
        # A save queued later must come after this delete, not replace a save before it.
        self._pending_saves.pop(id(document), None)
        self._queue(model, _Write(model, DeleteOne(document._stored_filter())))

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
        alias = self.alias
        # Every model's declared indexes first (outside any transaction): nothing is written if
        # one cannot be created. A collection is written with its first model's concerns.
        targets: dict[str, AsyncCollection[dict[str, Any]]] = {}
        models = dict.fromkeys(write.model for queued in collections for write in queued.writes)
        for model in models:
            _, target = await prepared_collection(model, alias)
            targets.setdefault(model.__collection__, target)
        if not self.transaction:
            # Inside an open transaction (``async with transaction():``) the writes join it.
            for collection in collections:
                await self._write(targets[collection.name], collection, deferred=False)
            return

        async def send() -> None:
            for collection in collections:
                await self._write(targets[collection.name], collection, deferred=True)

        await run_in_transaction(send, connection=alias)
        for collection in collections:
            _finish(collection.writes)

    async def _write(
        self,
        target: AsyncCollection[dict[str, Any]],
        collection: _Collection,
        *,
        deferred: bool,
    ) -> BulkWriteResult:
        """Send one collection's writes; unless ``deferred`` (until the batch's own transaction
        commits), mark the documents saved at once."""
        writes = collection.writes
        session = session_for(self.alias)
        try:
            result: BulkWriteResult = await target.bulk_write(
                [write.request for write in writes], ordered=True, session=session
            )
        except BulkWriteError as error:
            errors = (error.details or {}).get("writeErrors") or [{}]
            index = errors[0].get("index", 0)
            if not deferred:
                _finish(writes[:index])  # ordered: those before the failure were applied
            if is_duplicate_key(error):
                raise unique_key_violation(writes[index].model, error) from None
            raise
        except DuplicateKeyError as error:
            raise unique_key_violation(writes[0].model, error) from None
        if not deferred:
            _finish(writes)
        updates = sum(1 for write in writes if write.document_update)
        has_update_many = any(isinstance(write.request, UpdateMany) for write in writes)
        # update_many requests count towards matched_count too: check only without them.
        if updates and not has_update_many and result.matched_count < updates:
            models = sorted({write.model.__name__ for write in writes if write.document_update})
            raise DocumentDeletedError(
                f"{', '.join(models)}: {updates - result.matched_count} of {updates} saved "
                f"documents no longer exist in collection {collection.name!r} (deleted "
                f"meanwhile?); "
                + ("the transaction was rolled back" if session else "nothing was written for them")
            )
        return result


def _finish(writes: list[_Write]) -> None:
    for write in writes:
        if write.finish is not None:
            write.finish()


def _inserted(document: CollectionDocument, son: dict[str, Any], alias: str) -> None:
    remember_state(document, alias)  # joined to an open transaction: a rollback undoes it
    document._inserted(son, alias)


def _updated(
    document: CollectionDocument, sets: dict[str, Any], unsets: dict[str, Any], alias: str
) -> None:
    remember_state(document, alias)
    document._updated(sets, unsets, alias)


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
