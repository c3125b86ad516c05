"""``QuerySet``: query state (filter, projection, sort, skip, limit, connection, database) and
its execution."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

import bson
from bson import ObjectId
from pymongo import ASCENDING, ReturnDocument, WriteConcern
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError
from pymongo.read_concern import ReadConcern
from pymongo.read_preferences import _ServerMode

from aiomotorengine.base.document import VERSION_KEY, CollectionDocument
from aiomotorengine.base.fields import BaseField
from aiomotorengine.base.state import Place, Projection
from aiomotorengine.connection import (
    ReadConcernOption,
    ReadPreferenceOption,
    WriteConcernOption,
    read_concern_option,
    read_preference_option,
    write_concern_option,
)
from aiomotorengine.errors import (
    DocumentDeletedError,
    InvalidQueryError,
    MultipleObjectsReturned,
    describe_value,
)
from aiomotorengine.fields.list_field import ListField
from aiomotorengine.query.compiler import compile_filter, resolve_field_path
from aiomotorengine.query.joins import filter_pipeline, refuse_joins, related_paths, uses_joins
from aiomotorengine.query.q import Q, compile_arguments
from aiomotorengine.query.rules import FieldName, count_argument, field_name, merge_and, sort_key
from aiomotorengine.query.update import compile_update
from aiomotorengine.queryset.aggregation import Aggregation
from aiomotorengine.queryset.batch import BatchedQuerySet, BatchQuery
from aiomotorengine.queryset.driver_errors import is_duplicate_key, unique_key_violation
from aiomotorengine.queryset.indexes import ensure_indexes, prepared_collection
from aiomotorengine.queryset.joins import (
    JoinedQuery,
    explain_command,
    find_command,
    joining_collection,
)
from aiomotorengine.queryset.persistence import encode_for_insert, save_document
from aiomotorengine.queryset.references import load_references
from aiomotorengine.queryset.streams import ChangeStream, watch_changes
from aiomotorengine.queryset.transactions import remember_states, session_for

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["QuerySet", "UpdateResult", "require_place"]

D = TypeVar("D", bound=CollectionDocument)
T = TypeVar("T")


@dataclass(frozen=True)
class UpdateResult:
    """What ``update()`` did: ``count`` documents modified of ``matched`` matched, and the
    ``upserted_id`` of the document an ``upsert=True`` inserted (else ``None``)."""

    count: int
    matched: int
    upserted_id: Any = None


class QuerySet(Generic[D]):
    """A query on one model. Chain methods change the queryset in place *and* return it, so
    both styles work::

        users = await User.objects.filter(age__gt=10).order_by(User.name, DESCENDING).find_all()

        cursor = User.objects.filter(age__gt=10)
        cursor.limit(2)
        users = await cursor.find_all()

    ``async for user in User.objects.filter(...)`` streams batch by batch.
    """

    # The query state a new queryset starts with, read from the class until a chain method
    # sets its own (immutable values only: ``Model.objects`` builds a queryset per access).
    _skip = 0
    _limit = 0
    _projection: Projection | None = None
    _alias: str | None = None
    _db: str | None = None
    _read_preference: _ServerMode | None = None
    _read_concern: ReadConcern | None = None
    _write_concern: WriteConcern | None = None
    _batch_size = 0
    _related: tuple[str, ...] = ()

    def __init__(self, document: type[D]) -> None:
        self._document = document
        self._filters: list[dict[str, Any]] = []
        self._sort: list[tuple[str, int]] = []

    def __repr__(self) -> str:
        return f"<QuerySet {self._document.__name__} filter={self.query!r}>"

    def clone(self) -> QuerySet[D]:
        """An independent copy of this queryset's state."""
        other: QuerySet[D] = QuerySet(self._document)
        other._filters = list(self._filters)
        other._sort = list(self._sort)
        other._skip, other._limit = self._skip, self._limit
        other._projection = self._projection
        other._alias, other._db = self._alias, self._db
        other._read_preference = self._read_preference
        other._batch_size = self._batch_size
        other._related = self._related
        other._read_concern = self._read_concern
        other._write_concern = self._write_concern
        return other

    # --- building ------------------------------------------------------------------------
    def filter(self, *args: Q | Mapping[str, Any], **keywords: Any) -> Self:
        """Narrow the query (ANDed with what is there)."""
        if args:
            compiled = compile_arguments(self._document, args, keywords)
            if compiled:
                self._filters.append(compiled)
        elif keywords:  # keywords only: compile_arguments' first case, inlined (hot)
            self._filters.append(compile_filter(self._document, keywords))
        return self

    def filter_not(self, *args: Q | Mapping[str, Any], **keywords: Any) -> Self:
        """Exclude what matches (``$nor``), ANDed with what is there."""
        compiled = compile_arguments(self._document, args, keywords)
        if compiled:
            self._filters.append({"$nor": [compiled]})
        return self

    def order_by(self, field: FieldName, direction: int = ASCENDING) -> Self:
        """Sort by ``field`` (a name, ``"-name"`` for descending, or a field like
        ``User.name``); repeated calls add sort keys."""
        name, direction = sort_key(self._document, field, direction)
        path, _, _ = resolve_field_path(
            self._document, name, allow_operator=False, through_references=True
        )
        self._sort = [(key, d) for key, d in self._sort if key != path]
        self._sort.append((path, direction))
        return self

    def limit(self, count: int) -> Self:
        """Return at most ``count`` documents (at least 1: MongoDB reads ``limit(0)`` as no
        limit at all, so a ``?size=0`` from a request must not fetch the whole collection;
        leave ``limit()`` out for every document)."""
        self._limit = count_argument("limit", count, minimum=1)
        return self

    def batch_size(self, count: int) -> Self:
        """Fetch documents from the server ``count`` at a time (a round trip per batch)."""
        self._batch_size = count_argument("batch_size", count, minimum=1)
        return self

    def skip(self, count: int) -> Self:
        """Skip the first ``count`` documents."""
        self._skip = count_argument("skip", count)
        return self

    def only(self, *fields: FieldName) -> Self:
        """Load only these fields (``_id`` always); the documents remember what was loaded,
        and saving them touches only what changed."""
        paths = [self._path(field_name(self._document, field)) for field in fields]
        if self._document.__versioned__:  # a save checks the version it loaded
            paths.append(VERSION_KEY)
        paths += [f.db_field for f in self._document._shard_key_fields if f.db_field not in paths]
        self._projection = Projection.only(self._document._fields_by_db_field, paths)
        return self

    def exclude(self, *fields: FieldName) -> Self:
        """Load every field but these."""
        paths = [self._path(field_name(self._document, field)) for field in fields]
        if "_id" in paths:
            raise InvalidQueryError(f"{self._document.__name__}: _id is always loaded")
        for field in self._document._shard_key_fields:
            if field.db_field in paths:
                raise InvalidQueryError(
                    f"{self._document.__name__}.{field.name}: part of the shard key, always loaded"
                )
        self._projection = Projection.exclude(self._document._fields_by_db_field, paths)
        return self

    def select_related(self, *fields: FieldName) -> Self:
        """Load these references with the documents, in the same round trip (one aggregation
        with a ``$lookup`` each): ``"author"``, a list of references, or one level further,
        ``"author__company"``; none named: every reference field of the model. A dangling
        reference reads as ``None``, as with ``load_references()``::

            posts = await Post.objects.select_related("author").find_all()
            posts[0].author.name  # loaded: no LoadReferencesRequiredError, no second query
        """
        names = [field_name(self._document, field) for field in fields]
        self._related = tuple(
            dict.fromkeys((*self._related, *related_paths(self._document, names)))
        )
        return self

    def using(
        self, alias: str | None = None, *, connection: str | None = None, db: str | None = None
    ) -> Self:
        """Run this query on connection ``alias`` (``connection=``, the cqlengine name) and/or
        database ``db`` of it; what is not named stays as it was (the model's own, else the
        connection's default database)::

            Automobile.objects.using(connection="cluster2", db="ks2").filter(year=2010)
        """
        alias, db = require_place(alias, connection, db)
        self._alias = alias or self._alias
        self._db = db or self._db
        return self

    def read_preference(self, read_preference: ReadPreferenceOption) -> Self:
        """Read with this read preference: ``ReadPreference.SECONDARY``, ``Secondary(...)``
        or a mode name such as ``"secondaryPreferred"`` (over the model's and connection's)."""
        where = f"{self._document.__name__}.objects.read_preference()"
        self._read_preference = read_preference_option(read_preference, where)
        return self

    def read_concern(self, read_concern: ReadConcernOption) -> Self:
        """Read with this read concern: ``"majority"``, ``"local"``... or a ``ReadConcern``
        (over the model's and connection's)::

            await Order.objects.read_concern("majority").filter(paid=True).find_all()
        """
        where = f"{self._document.__name__}.objects.read_concern()"
        self._read_concern = read_concern_option(read_concern, where)
        return self

    def write_concern(self, write_concern: WriteConcernOption) -> Self:
        """Write with this write concern: ``{"w": "majority", "wtimeout": 5000}``, ``"majority"``,
        ``1`` or a ``WriteConcern`` (over the model's and connection's)::

            await Order.objects.write_concern("majority").filter(id=order_id).update(paid=True)
        """
        where = f"{self._document.__name__}.objects.write_concern()"
        self._write_concern = write_concern_option(write_concern, where)
        return self

    def batch(self, batch: BatchQuery) -> BatchedQuerySet[D]:
        """Queue this queryset's writes in ``batch``: ``.batch(b).create(...)``, ``.delete()``,
        ``.update(...)`` (see :class:`~aiomotorengine.queryset.batch.BatchQuery`)."""
        return BatchedQuerySet(batch, self)

    def _path(self, name: str) -> str:
        path, _, _ = resolve_field_path(self._document, name, allow_operator=False)
        return path

    def refuse_skip_limit(self, action: str) -> None:
        """Writes to every match ignore ``skip()``/``limit()``, so they refuse them rather
        than write more than intended; they refuse filters through references too."""
        refuse_joins(self._document, self._filters, action)
        if self._skip or self._limit:
            raise InvalidQueryError(
                f"{self._document.__name__}.objects {action}() ignores skip()/limit(), which "
                f"would {action} more than intended; filter on the documents to {action} instead"
            )

    @property
    def query(self) -> dict[str, Any]:
        """The MongoDB filter this queryset sends."""
        filters = self._filters
        if len(filters) == 1 and filters[0]:  # merge_and's one-part case, inlined (hot)
            return filters[0]
        return merge_and(filters)

    def _joined(self, *, loading: bool = True) -> JoinedQuery[D] | None:
        """The query as one aggregation when it goes through references (filters, and when
        ``loading`` documents, sort keys and ``select_related``); ``None``: a plain find."""
        if not (loading and self._related) and not uses_joins(self._filters, self._sort):
            return None
        return JoinedQuery(
            self._document,
            self._filters,
            self._collection,
            sort=self._sort,
            skip=self._skip,
            limit=self._limit,
            projection=self._projection,
            related=self._related,
        )

    # --- execution -----------------------------------------------------------------------
    async def _collection(self, alias: str | None) -> tuple[Place, AsyncCollection[dict[str, Any]]]:
        place, collection = await prepared_collection(
            self._document, alias or self._alias, self._db
        )
        if (
            self._read_preference is not None
            or self._read_concern is not None
            or self._write_concern is not None
        ):
            collection = collection.with_options(
                read_preference=self._read_preference,
                read_concern=self._read_concern,
                write_concern=self._write_concern,
            )
        return place, collection

    def _find_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if self._projection is not None:
            options["projection"] = self._projection.to_find()
        if self._sort:
            options["sort"] = self._sort
        if self._skip:
            options["skip"] = self._skip
        if self._limit:
            options["limit"] = self._limit
        if self._batch_size:
            options["batch_size"] = self._batch_size
        return options

    def _hydrate(
        self, documents: list[dict[str, Any]], place: Place, lazy: bool | None = True
    ) -> list[D]:
        """The documents of ``documents``; with ``lazy`` false (``None``: as the model says)
        their states are made at once, as loading their references changes every one."""
        if lazy is None:
            lazy = self._document.__lazy__
        return self._document.hydrate(
            documents,
            projection=self._projection,
            alias=place.alias,
            db=place.db,
            states=not lazy and bool(self._document.reference_plan()),
        )

    async def find_all(self, lazy: bool | None = None, alias: str | None = None) -> list[D]:
        """Every matching document, as model instances (the queryset keeps its state).

        ``lazy=False`` loads references too (one query per referenced collection).
        """
        joined = self._joined()
        if joined is not None:
            documents = await joined.find(alias)
            await self._maybe_load_references(documents, lazy)
            return documents
        resolved, collection = await self._collection(alias)
        cursor = collection.find(self.query, session=session_for(resolved), **self._find_options())
        documents = self._hydrate(await cursor.to_list(None), resolved, lazy)
        await self._maybe_load_references(documents, lazy)
        return documents

    async def to_list(self, length: int | None = None, alias: str | None = None) -> list[D]:
        """Like ``find_all``, at most ``length`` documents (``None``: all of them)."""
        if length is not None and count_argument("to_list", length) == 0:
            return []
        joined = self._joined()
        if joined is not None:
            documents = await joined.find(alias, length)
            await self._maybe_load_references(documents, None)
            return documents
        resolved, collection = await self._collection(alias)
        options = self._find_options()
        if length is not None:
            options["limit"] = min(length, self._limit) if self._limit else length
        cursor = collection.find(self.query, session=session_for(resolved), **options)
        try:
            sons = await cursor.to_list(length)
        finally:
            await cursor.close()  # when more documents remain, do not leave a server cursor open
        documents = self._hydrate(sons, resolved, None)
        await self._maybe_load_references(documents, None)
        return documents

    async def _maybe_load_references(self, documents: list[D], lazy: bool | None) -> None:
        if lazy is None:
            lazy = self._document.__lazy__
        if not lazy and documents:
            await load_references(documents)

    def __aiter__(self) -> AsyncIterator[D]:
        return self._stream()

    async def _stream(self) -> AsyncIterator[D]:
        joined = self._joined()
        if joined is not None:
            chunks = joined.chunks(_EAGER_STREAM_CHUNK)
            try:
                async for loaded in chunks:
                    await self._maybe_load_references(loaded, None)
                    for document in loaded:
                        yield document
            finally:
                await chunks.aclose()
            return
        resolved, collection = await self._collection(None)
        cursor = collection.find(self.query, session=session_for(resolved), **self._find_options())
        try:
            if self._document.__lazy__:
                document_class = self._document
                projection = self._projection
                alias, db = resolved
                async for son in cursor:
                    yield document_class.from_son(son, projection=projection, alias=alias, db=db)
                return
            # Eager references: load them a chunk at a time, never one query per document.
            while chunk := await cursor.to_list(_EAGER_STREAM_CHUNK):
                documents = self._hydrate(chunk, resolved, False)
                await self._maybe_load_references(documents, False)
                for document in documents:
                    yield document
        finally:
            await cursor.close()

    async def count(self, alias: str | None = None) -> int:
        """The number of matching documents (respecting ``skip``/``limit``)."""
        joined = self._joined(loading=False)
        if joined is not None:
            return await joined.count(alias)
        place, collection = await self._collection(alias)
        options: dict[str, Any] = {"session": session_for(place)}
        if self._skip:
            options["skip"] = self._skip
        if self._limit:
            options["limit"] = self._limit
        return await collection.count_documents(self.query, **options)

    async def get(
        self,
        id: ObjectId | str | None = None,
        alias: str | None = None,
        lazy: bool | None = None,
        **filters: Any,
    ) -> D | None:
        """The one document with this ``_id`` (an ``ObjectId`` or its string) and/or matching
        ``filters``; ``None`` when nothing matches. More than one match raises
        ``MultipleObjectsReturned``."""
        if id is not None:
            filters["_id"] = id
        elif not filters and not self._filters:
            raise InvalidQueryError(
                f"{self._document.__name__}.objects.get() needs an id or filters to say which "
                f"document; use first() for any one of them"
            )
        # A terminal call: narrow a copy, so this queryset keeps its own filters.
        queryset = self.clone().filter(**filters) if filters else self
        joined = queryset._joined()
        if joined is not None:
            found = await joined.get(alias)
            await self._maybe_load_references(found, lazy)
            return found[0] if found else None
        resolved, collection = await queryset._collection(alias)
        query = queryset.query
        options = queryset._find_options()
        options["session"] = session_for(resolved)
        if set(query) == {"_id"} and not isinstance(query["_id"], dict):
            son = await collection.find_one(query, **options)
            documents = [son] if son is not None else []
        else:
            options["limit"] = 2
            documents = await collection.find(query, **options).to_list(2)
        if not documents:
            return None
        if len(documents) > 1:
            raise MultipleObjectsReturned(
                f"{self._document.__name__}.objects.get() matched more than one document "
                f"for {describe_value(query)}; use filter() or narrow the query"
            )
        hydrated = self._hydrate(documents, resolved, lazy)
        await self._maybe_load_references(hydrated, lazy)
        return hydrated[0]

    async def first(self, alias: str | None = None) -> D | None:
        """The first matching document in the queryset's order, or ``None``."""
        joined = self._joined()
        if joined is not None:
            found = await joined.find(alias, 1)
            await self._maybe_load_references(found, None)
            return found[0] if found else None
        resolved, collection = await self._collection(alias)
        options = self._find_options()
        options["limit"] = 1
        options["session"] = session_for(resolved)
        documents = await collection.find(self.query, **options).to_list(1)
        hydrated = self._hydrate(documents, resolved, None)
        await self._maybe_load_references(hydrated, None)
        return hydrated[0] if hydrated else None

    async def exists(self, alias: str | None = None) -> bool:
        """Whether any document matches (after ``skip()``, if set)."""
        joined = self._joined(loading=False)
        if joined is not None:
            return await joined.exists(alias)
        place, collection = await self._collection(alias)
        found = await collection.find_one(
            self.query, projection={"_id": 1}, skip=self._skip, session=session_for(place)
        )
        return found is not None

    @overload
    async def distinct(self, field: ListField[T], alias: str | None = None) -> list[T]: ...

    @overload
    async def distinct(self, field: BaseField[T | None], alias: str | None = None) -> list[T]: ...

    @overload
    async def distinct(self, field: BaseField[T], alias: str | None = None) -> list[T]: ...

    @overload
    async def distinct(self, field: str, alias: str | None = None) -> list[Any]: ...

    async def distinct(self, field: FieldName, alias: str | None = None) -> list[Any]:
        """The distinct values of ``field`` among matching documents, converted by the field
        (the items of a list field). Given the field itself, they are typed by it:
        ``distinct(User.age)`` is a ``list[int]``."""
        path, resolved_field, _ = resolve_field_path(
            self._document, field_name(self._document, field), allow_operator=False
        )
        refuse_joins(self._document, self._filters, "distinct")
        place, collection = await self._collection(alias)
        values = await collection.distinct(path, self.query, session=session_for(place))
        if resolved_field is None:
            return values
        convert = resolved_field.element_field().from_son
        return [None if value is None else convert(value) for value in values]

    async def create(self, alias: str | None = None, **values: Any) -> D:
        """Build a document from ``values``, validate it and insert it."""
        document = self._document(**values)
        return await save_document(
            document, alias or self._alias, self._db, write_concern=self._write_concern
        )

    async def bulk_insert(self, documents: Iterable[D], alias: str | None = None) -> list[D]:
        """Validate every document, then insert them all with one ``insert_many``.

        Nothing is written if any document is invalid. Returns the documents, ``_id`` set.
        """
        documents = list(documents)
        if not documents:
            return []
        for document in documents:
            if not isinstance(document, self._document):
                raise InvalidQueryError(
                    f"{self._document.__name__}.objects.bulk_insert() got "
                    f"{type(document).__name__} {describe_value(document)}"
                )
            if document._state.persisted:
                raise InvalidQueryError(
                    f"{self._document.__name__}.objects.bulk_insert(): {document!r} is already "
                    f"saved"
                )
        if len({id(document) for document in documents}) != len(documents):
            raise InvalidQueryError(
                f"{self._document.__name__}.objects.bulk_insert(): the same document appears "
                f"more than once in the list; nothing was written"
            )
        sons = [document._insert_son() for document in documents]
        resolved, collection = await self._collection(alias)
        encoded = encode_for_insert(self._document, sons, collection.codec_options)
        try:
            await collection.insert_many(encoded, session=session_for(resolved))
        except (DuplicateKeyError, BulkWriteError) as error:
            if not is_duplicate_key(error):
                raise
            # The insert is ordered: the documents before the failing one were written.
            inserted = (error.details or {}).get("nInserted", 0)
            remember_states(documents[:inserted], resolved)
            for document, son in zip(documents[:inserted], sons, strict=False):
                document._inserted(son, resolved)
            raise unique_key_violation(self._document, error) from None
        remember_states(documents, resolved)
        for document, son in zip(documents, sons, strict=True):
            document._inserted(son, resolved)
        return documents

    async def delete(self, alias: str | None = None) -> int:
        """Delete every matching document; returns how many were deleted."""
        self.refuse_skip_limit("delete")
        resolved, collection = await self._collection(alias)
        result = await collection.delete_many(self.query, session=session_for(resolved))
        return result.deleted_count

    async def update(
        self,
        definition: Mapping[Any, Any] | None = None,
        alias: str | None = None,
        *,
        upsert: bool = False,
        **operations: Any,
    ) -> UpdateResult:
        """Update every matching document: ``update({"name": "x"})`` ($set, values converted
        by their fields) and/or ``update(inc__views=1, push__tags="a")``. With
        ``upsert=True``, no match inserts one document built from the filter's equalities and
        the update (``result.upserted_id``)."""
        return await self._update(definition, alias, operations, many=True, upsert=upsert)

    async def update_one(
        self,
        definition: Mapping[Any, Any] | None = None,
        alias: str | None = None,
        *,
        upsert: bool = False,
        **operations: Any,
    ) -> UpdateResult:
        """Like ``update``, for the first matching document only."""
        return await self._update(definition, alias, operations, many=False, upsert=upsert)

    async def _update(
        self,
        definition: Mapping[Any, Any] | None,
        alias: str | None,
        operations: dict[str, Any],
        *,
        many: bool,
        upsert: bool,
    ) -> UpdateResult:
        if many:
            self.refuse_skip_limit("update")
        else:
            refuse_joins(self._document, self._filters, "update_one")
        spec = compile_update(self._document, definition, operations)
        resolved, collection = await self._collection(alias)
        session = session_for(resolved)
        try:
            if many:
                result = await collection.update_many(
                    self.query, spec, upsert=upsert, session=session
                )
            else:
                result = await collection.update_one(
                    self.query, spec, upsert=upsert, session=session
                )
        except DuplicateKeyError as error:
            raise unique_key_violation(self._document, error) from None
        return UpdateResult(result.modified_count, result.matched_count, result.upserted_id)

    async def modify(
        self,
        definition: Mapping[Any, Any] | None = None,
        alias: str | None = None,
        *,
        new: bool = True,
        upsert: bool = False,
        **operations: Any,
    ) -> D | None:
        """Update the first matching document (in the queryset's order) and return it as it
        is after the change (``new=False``: before it), in one round trip
        (``findAndModify``); ``None`` when nothing matched and ``upsert`` is off::

            counter = await Counter.objects.filter(name="hits").modify(inc__value=1)
        """
        refuse_joins(self._document, self._filters, "modify")
        spec = compile_update(self._document, definition, operations)
        resolved, collection = await self._collection(alias)
        options: dict[str, Any] = {}
        if self._projection is not None:
            options["projection"] = self._projection.to_find()
        if self._sort:
            options["sort"] = self._sort
        try:
            son = await collection.find_one_and_update(
                self.query,
                spec,
                return_document=ReturnDocument.AFTER if new else ReturnDocument.BEFORE,
                upsert=upsert,
                session=session_for(resolved),
                **options,
            )
        except DuplicateKeyError as error:
            raise unique_key_violation(self._document, error) from None
        if son is None:
            return None
        return self._hydrate([son], resolved)[0]

    async def get_or_create(
        self, defaults: Mapping[str, Any] | None = None, alias: str | None = None, **filters: Any
    ) -> tuple[D, bool]:
        """The one document matching ``filters`` and ``False``; or, when there is none, a new
        one built from the filters' plain equalities and ``defaults``, inserted atomically
        (an upsert), and ``True``.

        Tasks racing on the same key create one document: in this process they take turns;
        across processes, declare the key ``unique`` and the database settles the race::

            tag, created = await Tag.objects.get_or_create(name="mongodb", defaults={"uses": 0})
        """
        queryset = self.clone().filter(**filters)
        refuse_joins(self._document, queryset._filters, "get_or_create")
        async with _creation_lock(self._document, queryset.query):
            found = await queryset.get(alias=alias)
            if found is not None:
                return found, False
            values = {
                "_id" if name in ("id", "pk") else name: value
                for name, value in filters.items()
                if "__" not in name
            }
            document = self._document(**{**values, **(defaults or {})})
            son = document._insert_son(assign_id=True)
            if "_id" in queryset.query:  # the upsert takes the _id from the filter
                son = {key: value for key, value in son.items() if key != "_id"}
            place, collection = await queryset._collection(alias)
            try:
                result = await collection.update_one(
                    queryset.query,
                    {"$setOnInsert": son},
                    upsert=True,
                    session=session_for(place),
                )
            except DuplicateKeyError as error:  # created meanwhile, elsewhere
                found = await queryset.get(alias=alias)
                if found is None:
                    raise unique_key_violation(self._document, error) from None
                return found, False
            if result.upserted_id is None:  # matched: created meanwhile, elsewhere
                found = await queryset.get(alias=alias)
                if found is None:
                    raise DocumentDeletedError(
                        f"{self._document.__name__}.objects.get_or_create(): the document "
                        f"created meanwhile was deleted again; try again"
                    )
                return found, False
            # Read back: the upsert stored the filter's equalities too (``filter()`` before,
            # dotted keywords), which the document built here does not know.
            created = await queryset.get(alias=alias)
            if created is None:
                raise DocumentDeletedError(
                    f"{self._document.__name__}.objects.get_or_create(): the document just "
                    f"created was deleted meanwhile; try again"
                )
            return created, True

    @property
    def aggregate(self) -> Aggregation[D]:
        """An aggregation pipeline builder over this queryset's documents."""
        if uses_joins(self._filters):
            plan = filter_pipeline(self._document, self._filters)
            joined = joining_collection(self._document, plan.joins, self._collection)
            return Aggregation(self._document, joined).raw(plan.pipeline)
        aggregation: Aggregation[D] = Aggregation(self._document, self._collection)
        if self._filters:
            aggregation.raw([{"$match": self.query}])
        return aggregation

    async def explain(
        self, alias: str | None = None, verbosity: str = "queryPlanner"
    ) -> dict[str, Any]:
        """The server's ``explain`` of what ``find_all()`` sends, which the reply holds under
        ``"command"``: a ``find``, or the ``aggregate`` of a query through references::

            plan = await Post.objects.filter(author__city="Oslo").explain()
            plan["command"]["pipeline"]  # [{"$lookup": ...}, {"$match": ...}, ...]
        """
        joined = self._joined()
        if joined is not None:
            return await joined.explain(alias, verbosity)
        _, collection = await self._collection(alias)
        command = find_command(collection, self.query, self._find_options())
        return await explain_command(collection, command, verbosity)

    def watch(
        self,
        full_document: str | None = "updateLookup",
        resume_after: Mapping[str, Any] | None = None,
        *,
        start_after: Mapping[str, Any] | None = None,
        max_await_time_ms: int | None = None,
        batch_size: int | None = None,
    ) -> ChangeStream[D]:
        """The changes of matching documents, as typed events (a change stream; needs a replica
        set or a sharded cluster). The filter applies to the changed document (``fullDocument``;
        ``id`` to the document key, which deletes carry too)::

            async with Order.objects.filter(status="paid").watch() as stream:
                async for event in stream:
                    event.operation, event.document_id, event.document

        ``resume_after=event.resume_token`` resumes after an event seen before; the other
        options are the driver's ``watch()`` options.
        """
        self.refuse_skip_limit("watch")
        return watch_changes(
            self._document,
            self._collection,
            self.query,
            full_document=full_document,
            resume_after=resume_after,
            start_after=start_after,
            max_await_time_ms=max_await_time_ms,
            batch_size=batch_size,
        )

    async def ensure_index(self, alias: str | None = None) -> int:
        """Create the indexes the model declares (idempotent); returns how many."""
        return await ensure_indexes(self._document, alias=alias or self._alias, db=self._db)


# How many documents an `async for` over a __lazy__ = False model loads references for at once.
_EAGER_STREAM_CHUNK = 100


# get_or_create() callers in this process racing on one key take turns (per model and filter).
_creation_locks: weakref.WeakValueDictionary[tuple[type, bytes], asyncio.Lock] = (
    weakref.WeakValueDictionary()
)


def _creation_lock(document: type[CollectionDocument], query: dict[str, Any]) -> asyncio.Lock:
    key = (document, bson.encode(query))
    lock = _creation_locks.get(key)
    if lock is None:
        lock = _creation_locks[key] = asyncio.Lock()
    return lock


def require_place(
    alias: str | None, connection: str | None, db: str | None
) -> tuple[str | None, str | None]:
    """The connection alias (``alias`` or cqlengine's ``connection=``) and database a
    ``using()`` call names; naming nothing is an error, never a silent reset to the default."""
    if alias is not None and connection is not None and alias != connection:
        raise TypeError(f"using() got two connections: {alias!r} and connection={connection!r}")
    chosen = alias or connection
    if chosen is None and db is None:
        raise TypeError(
            "using() needs a connection alias or a database (using('name'), "
            "using(connection=...), using(db=...))"
        )
    return chosen, db
