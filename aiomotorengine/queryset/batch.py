"""``BatchQuery``: queue writes and send them together on one connection (cqlengine's batch).

Writes are validated when queued and sent when the ``async with`` block ends, as ordered
``bulk_write`` commands per collection (collections in the order they were first written),
optionally inside one multi-document transaction. Outside a transaction, the writes of a
collection go in runs: single-document writes together (the driver retries them once on a
dropped connection or a lost acknowledgement, and the server applies a retried write once),
``update()``/``delete()`` of every match on their own (never retried: their outcome is then
reported as unknown, in a ``BatchInterruptedError``). Nothing is ever sent twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from pymongo import DeleteMany, DeleteOne, InsertOne, ReplaceOne, UpdateMany, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError
from pymongo.results import BulkWriteResult

from aiomotorengine.base.document import VERSION_KEY, CollectionDocument
from aiomotorengine.base.state import Changes, Place
from aiomotorengine.connection import (
    declared_alias,
    get_connection,
    resolve_alias,
    run_in_transaction,
)
from aiomotorengine.errors import (
    BatchInterruptedError,
    ConnectionError,
    describe_value,
)
from aiomotorengine.query.update import compile_update
from aiomotorengine.queryset.conflicts import (
    DocumentSave,
    batch_save_error,
    stale_saves,
    unapplied_saves,
)
from aiomotorengine.queryset.driver_errors import (
    encoded,
    is_duplicate_key,
    unique_key_violation,
)
from aiomotorengine.queryset.indexes import database_name, prepared_collection
from aiomotorengine.queryset.persistence import lives_at, write_place
from aiomotorengine.queryset.transactions import remember_state, session_for

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["BatchQuery", "BatchedDocument", "BatchedQuerySet"]

D = TypeVar("D", bound=CollectionDocument)

_Request = (
    InsertOne[dict[str, Any]]
    | ReplaceOne[dict[str, Any]]
    | UpdateOne
    | UpdateMany
    | DeleteOne
    | DeleteMany
)
# Writes to every match: the driver never retries them.
_MULTI = (UpdateMany, DeleteMany)


@dataclass
class _Write:
    model: type[CollectionDocument]
    request: _Request
    # Runs after the write was acknowledged (marks documents saved).
    finish: Callable[[], None] | None = None
    # ``update_one`` of a loaded document: it must still exist.
    changes: Changes | None = None


@dataclass
class _Collection:
    place: Place
    name: str
    writes: list[_Write] = field(default_factory=list)


class BatchQuery:
    """Queue writes on one connection and send them when the block ends::

        async with BatchQuery(connection="cluster1") as b:
            Automobile.objects.batch(b).create(manufacturer="honda", year=2010)
            car.batch(b).save()                 # insert, $set/$unset of what changed, or copy
            old_car.batch(b).delete()
            Automobile.objects.filter(year__lt=1990).batch(b).delete()

    ``b.create(Model, ...)``, ``b.save(doc)`` and ``b.delete(doc)`` are the same. Each write is
    validated when queued; nothing is sent if the block raises. At the end, each collection gets
    ordered ``bulk_write`` commands; with ``transaction=True`` they all run in one
    multi-document transaction (all or nothing). ``connection=None`` is the connection in force
    when the block starts (the default, or a :func:`switch_connection` alias); ``db`` is the
    database of the writes that name none (``None``: the connection's default). A write bound
    to another connection (a model's ``__alias__``, a document loaded from or sent elsewhere by
    ``using()``), or to another database when ``db`` is given, is refused when queued.
    """

    def __init__(
        self, connection: str | None = None, db: str | None = None, *, transaction: bool = False
    ) -> None:
        self._connection = connection
        self._alias: str | None = None
        self.db = db
        self.transaction = transaction
        self._collections: dict[tuple[str, str], _Collection] = {}
        self._pending_saves: dict[int, tuple[tuple[str, str], int]] = {}
        self._targets: dict[tuple[str, Place], AsyncCollection[dict[str, Any]]] = {}

    def __repr__(self) -> str:
        count = sum(len(c.writes) for c in self._collections.values())
        return f"<BatchQuery connection={self.alias!r} db={self.db!r} writes={count}>"

    @property
    def alias(self) -> str:
        """The connection alias every write of the batch goes to."""
        if self._alias is None:
            self._alias = self._connection or resolve_alias()
        return self._alias

    # --- where writes go ---------------------------------------------------------------------
    def _place_for(
        self, model: type[CollectionDocument], alias: str | None, db: str | None, what: str
    ) -> Place:
        """The place of a write of ``model`` naming connection ``alias`` and database ``db``
        (either ``None``: the batch's); an error if they are not the batch's."""
        own = declared_alias(model, model.__alias__, alias)
        return self._checked(
            model, Place(own or self.alias, db or model.__db__ or self.db), what, "uses"
        )

    def _document_place(self, document: CollectionDocument, what: str) -> Place:
        """Where a write of ``document`` goes: where it lives or ``using()`` sends it (that
        must be the batch's connection and database), or, for a new one, the batch's."""
        state = document._state
        if not state.persisted or state.alias is None:  # new, or loaded without saying where
            alias, db = state.target or (None, None)
            return self._place_for(type(document), alias, db, what)
        return self._checked(type(document), write_place(document), what, "lives in")

    def _checked(
        self, model: type[CollectionDocument], place: Place, what: str, verb: str
    ) -> Place:
        """``place``, or ``ConnectionError`` when it is not on the batch's connection, or not
        in the batch's database when the batch names one."""
        if place.alias != self.alias:
            raise ConnectionError(
                f"{model.__name__}: {what} uses connection {place.alias!r}, but this batch runs "
                f"on {self.alias!r}; every write of a batch must use the batch's connection"
            )
        if self.db is not None and database_name(place) != database_name(
            Place(self.alias, self.db)
        ):
            raise ConnectionError(
                f"{model.__name__}: {what} {verb} database {database_name(place)!r}, but this "
                f"batch writes to {self.db!r}; send it there with using(db={self.db!r}) first"
            )
        return place

    # --- queueing --------------------------------------------------------------------------
    def _queue(
        self, place: Place, model: type[CollectionDocument], write: _Write
    ) -> tuple[str, str]:
        key = (database_name(place), model.__collection__)
        collection = self._collections.setdefault(key, _Collection(place, key[1]))
        collection.writes.append(write)
        return key

    def save(self, document: D) -> D:
        """Queue the insert of a new document (its ``_id`` is assigned now), the
        ``$set``/``$unset`` of what changed in a loaded one, or, for a document ``using()``
        sends where it does not live yet, the write of the whole document there. Validates
        now."""
        model = self._document_class(document, "save")
        place = self._document_place(document, repr(document))
        state = document._state
        write: _Write
        # Sizes are checked now: in a bulk write, the server would refuse a document over
        # MongoDB's limit only after applying the writes before it.
        codec_options = (
            get_connection(place.alias).collection(model.__collection__, place.db).codec_options
        )
        if not state.persisted or not lives_at(document, place):
            son = document._whole_son()
            encoded(model, son, codec_options)
            request: _Request = (
                ReplaceOne({"_id": son["_id"]}, son, upsert=True)
                if state.persisted
                else InsertOne(son)
            )
            write = _Write(model, request, lambda: _inserted(document, son, place))
        else:
            changes = document._changes()
            if changes is None:
                return document
            spec = changes.update
            encoded(model, changes.written(), codec_options, spec)
            write = _Write(
                model,
                UpdateOne(changes.filter, spec),
                lambda: _updated(document, changes, place),
                changes=changes,
            )
        previous = self._pending_saves.get(id(document))
        if previous is not None and previous[0] == (database_name(place), model.__collection__):
            # Saved again to the same place before the batch ran: the latest state wins.
            key, index = previous
            self._collections[key].writes[index] = write
        else:  # a first save, or one to another place: both writes are sent
            key = self._queue(place, model, write)
            self._pending_saves[id(document)] = (key, len(self._collections[key].writes) - 1)
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
        place = self._document_place(document, repr(document))
        identifier = document._stored_id()
        if identifier is None:
            return
        # A save queued later must come after this delete, not replace a save before it.
        self._pending_saves.pop(id(document), None)
        self._queue(place, model, _Write(model, DeleteOne(document._stored_filter())))

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
        # Every model's declared indexes first (outside any transaction): nothing is written if
        # one cannot be created. A collection is written with its first model's concerns.
        self._targets = {}
        for queued in collections:
            for model in dict.fromkeys(write.model for write in queued.writes):
                _, target = await prepared_collection(model, *queued.place)
                self._targets.setdefault((queued.name, queued.place), target)
        for queued in collections:  # a stale copy of a versioned document stops it all
            saves = [(w.model, w.changes) for w in queued.writes if w.changes is not None]
            stale = await stale_saves(self._collection(queued), saves, session_for(queued.place))
            if stale:
                raise batch_save_error(queued.name, stale, len(saves), "nothing was written")
        if self.transaction:
            await self._execute_in_transaction(collections)
        else:
            await self._execute_in_runs(collections)

    def _collection(self, queued: _Collection) -> AsyncCollection[dict[str, Any]]:
        return self._targets[(queued.name, queued.place)]

    async def _execute_in_runs(self, collections: list[_Collection]) -> None:
        total = sum(len(queued.writes) for queued in collections)
        applied = 0
        for queued in collections:
            target = self._collection(queued)
            for run in _runs(queued.writes):
                try:
                    # Inside an open transaction (``async with transaction():``) they join it.
                    await self._write(target, queued.name, run, deferred=False)
                except BulkWriteError as error:
                    if _write_errors(error):
                        raise  # refused by the server: the writes before it were applied
                    raise _interrupted(error, queued.name, applied, len(run), total) from error
                except PyMongoError as error:
                    raise _interrupted(error, queued.name, applied, len(run), total) from error
                applied += len(run)

    async def _execute_in_transaction(self, collections: list[_Collection]) -> None:
        async def send() -> None:
            for queued in collections:
                await self._write(
                    self._collection(queued), queued.name, queued.writes, deferred=True
                )

        total = sum(len(queued.writes) for queued in collections)
        try:
            await run_in_transaction(send, connection=self.alias)  # or join the open one
        except PyMongoError as error:
            if isinstance(error, BulkWriteError) and _write_errors(error):
                raise  # refused by the server: the transaction was rolled back
            if error.has_error_label("UnknownTransactionCommitResult"):
                raise BatchInterruptedError(
                    f"BatchQuery on {self.alias!r}: the transaction's commit could not be "
                    f"confirmed ({type(error).__name__}: {error}); its {total} writes were all "
                    f"applied or none was",
                    unknown=total,
                ) from error
            raise BatchInterruptedError(
                f"BatchQuery on {self.alias!r}: the transaction failed ({type(error).__name__}: "
                f"{error}); it was rolled back, none of its {total} writes was applied",
                unsent=total,
            ) from error
        for queued in collections:
            _finish(queued.writes)

    async def _write(
        self,
        target: AsyncCollection[dict[str, Any]],
        name: str,
        writes: list[_Write],
        *,
        deferred: bool,
    ) -> BulkWriteResult:
        """Send one run of writes; unless ``deferred`` (until the batch's own transaction
        commits), mark the documents saved at once."""
        session = session_for(Place(self.alias, None))
        try:
            result: BulkWriteResult = await target.bulk_write(
                [write.request for write in writes], ordered=True, session=session
            )
        except BulkWriteError as error:
            write_errors = _write_errors(error)
            if not write_errors:
                raise  # a write concern error: reported as an interruption
            index = write_errors[0].get("index", 0)
            if not deferred:  # ordered: those before the failure were applied, if they matched
                applied = writes[:index]
                saves = [(w.model, w.changes) for w in applied if w.changes is not None]
                if saves:
                    matched = (error.details or {}).get("nMatched", 0)
                    unmatched = (
                        None
                        if any(isinstance(w.request, UpdateMany) for w in applied)
                        else len(saves) - matched
                    )
                    missed = await unapplied_saves(target, saves, unmatched, session)
                    unapplied = {id(changes) for (_, changes), _ in missed}
                    applied = [
                        w for w in applied if w.changes is None or id(w.changes) not in unapplied
                    ]
                _finish(applied)
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
        if not deferred:
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
            raise batch_save_error(name, failed, len(saves), outcome)
        return result


def _inserted(document: CollectionDocument, son: dict[str, Any], place: Place) -> None:
    remember_state(document, place)  # joined to an open transaction: a rollback undoes it
    document._inserted(son, place)


def _updated(document: CollectionDocument, changes: Changes, place: Place) -> None:
    remember_state(document, place)
    document._updated(changes, place)


def _runs(writes: list[_Write]) -> list[list[_Write]]:
    """``writes`` in order, cut where they change between single-document writes (which the
    driver retries) and writes to every match (which it does not)."""
    runs: list[list[_Write]] = []
    for write in writes:
        multi = isinstance(write.request, _MULTI)
        if runs and isinstance(runs[-1][0].request, _MULTI) == multi:
            runs[-1].append(write)
        else:
            runs.append([write])
    return runs


def _write_errors(error: BulkWriteError) -> list[dict[str, Any]]:
    """The writes the server refused (a duplicate key, a failed validation), if any."""
    return list((error.details or {}).get("writeErrors") or [])


def _interrupted(
    error: PyMongoError, collection: str, applied: int, sent: int, total: int
) -> BatchInterruptedError:
    unsent = total - applied - sent
    return BatchInterruptedError(
        f"BatchQuery: writing to collection {collection!r} failed ({type(error).__name__}: "
        f"{error}); {applied} of the batch's {total} writes were applied, the {sent} sent in "
        f"that command may or may not have been (none twice), {unsent} were not sent",
        applied=applied,
        unknown=sent,
        unsent=unsent,
    )


def _finish(writes: list[_Write]) -> None:
    for write in writes:
        if write.finish is not None:
            write.finish()


def _is_document_class(model: object) -> bool:
    return isinstance(model, type) and issubclass(model, CollectionDocument)


class Selection(Protocol[D]):
    """What a batch needs of a queryset: its model, connection, database and filter."""

    _document: type[D]
    _alias: str | None
    _db: str | None

    @property
    def query(self) -> dict[str, Any]: ...

    def refuse_skip_limit(self, action: str) -> None: ...


class BatchedQuerySet(Generic[D]):
    """A queryset whose writes go to a :class:`BatchQuery` instead of the server::

    Automobile.objects.batch(b).create(manufacturer="honda")
    Automobile.objects.filter(year__lt=1990).batch(b).delete()
    """

    def __init__(self, batch: BatchQuery, queryset: Selection[D]) -> None:
        self._batch = batch
        self._queryset = queryset
        document = queryset._document
        self._place = batch._place_for(
            document, queryset._alias, queryset._db, f"{document.__name__}.objects"
        )

    def create(self, **values: Any) -> D:
        """Build, validate and queue the insert of a document; returns it (``_id`` set)."""
        document = self._queryset._document(**values)
        document._bind(*self._place)
        return self._batch.save(document)

    def delete(self) -> None:
        """Queue the deletion of every matching document."""
        queryset = self._queryset
        queryset.refuse_skip_limit("delete")
        model = queryset._document
        self._batch._queue(self._place, model, _Write(model, DeleteMany(queryset.query)))

    def update(self, definition: Mapping[Any, Any] | None = None, **operations: Any) -> None:
        """Queue an update of every matching document (as ``QuerySet.update``)."""
        queryset = self._queryset
        queryset.refuse_skip_limit("update")
        model = queryset._document
        spec = compile_update(model, definition, operations)
        self._batch._queue(self._place, model, _Write(model, UpdateMany(queryset.query, spec)))


class BatchedDocument(Generic[D]):
    """A document whose ``save()``/``delete()`` are queued in a :class:`BatchQuery` (they
    return at once; nothing is awaited)::

        car.batch(b).save()
        car.batch(b).delete()
    """

    __slots__ = ("_batch", "_document")

    def __init__(self, batch: BatchQuery, document: D) -> None:
        self._batch = batch
        self._document = document

    def save(self) -> D:
        """Queue the document's save (see :meth:`BatchQuery.save`); returns the document."""
        return self._batch.save(self._document)

    def delete(self) -> None:
        """Queue the document's deletion (see :meth:`BatchQuery.delete`)."""
        self._batch.delete(self._document)
