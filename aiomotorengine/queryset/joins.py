"""Running a query through references: one aggregation (planned by
:mod:`aiomotorengine.query.joins`), its results hydrated like a ``find``'s, the documents
``select_related()`` names put in place of their ids. And ``explain``, for either kind of query.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from typing import Any, Generic, TypeVar

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.command_cursor import AsyncCommandCursor

from aiomotorengine.base.document import BaseDocument, CollectionDocument
from aiomotorengine.base.state import Place, Projection
from aiomotorengine.errors import InvalidQueryError, MultipleObjectsReturned, describe_value
from aiomotorengine.query.joins import Join, JoinPlan, plan_joins
from aiomotorengine.query.rules import merge_and
from aiomotorengine.queryset.aggregation import CollectionFor
from aiomotorengine.queryset.indexes import database_name, prepared_collection
from aiomotorengine.queryset.references import place_references, reference_place
from aiomotorengine.queryset.transactions import session_for

__all__ = ["JoinedQuery", "explain_command", "find_command", "joining_collection"]

D = TypeVar("D", bound=CollectionDocument)

_Loaded = dict[type[CollectionDocument], dict[Any, CollectionDocument]]


class JoinedQuery(Generic[D]):
    """A queryset's state, run as one aggregation: filters and sort keys through references,
    and the references ``related`` names loaded in the same round trip."""

    def __init__(
        self,
        document: type[D],
        filters: Sequence[dict[str, Any]],
        collection_for: CollectionFor,
        *,
        sort: Sequence[tuple[str, int]] = (),
        skip: int = 0,
        limit: int = 0,
        projection: Projection | None = None,
        related: Sequence[str] = (),
    ) -> None:
        self._document = document
        self._filters = filters
        self._collection_for = collection_for
        self._sort = sort
        self._skip = skip
        self._limit = limit
        self._projection = projection
        self._related = related

    def plan(self, limit: int | None = None) -> JoinPlan:
        """The pipeline that finds the documents (at most ``limit``, within the query's own)."""
        if limit is not None and self._limit:
            limit = min(limit, self._limit)
        return plan_joins(
            self._document,
            self._filters,
            sort=self._sort,
            skip=self._skip,
            limit=self._limit if limit is None else limit,
            projection=self._projection,
            related=self._related,
        )

    async def _aggregate(
        self, pipeline: list[dict[str, Any]], joins: dict[str, Join], alias: str | None
    ) -> tuple[Place, AsyncCommandCursor[dict[str, Any]]]:
        resolved, collection = await self._collection_for(alias)
        await _prepare(self._document, joins, resolved)
        return resolved, await collection.aggregate(pipeline, session=session_for(resolved))

    async def find(self, alias: str | None = None, limit: int | None = None) -> list[D]:
        """The matching documents, hydrated, with the selected references in place."""
        plan = self.plan(limit)
        resolved, cursor = await self._aggregate(plan.pipeline, plan.joins, alias)
        try:
            sons = await cursor.to_list(limit)
        finally:
            await cursor.close()
        return _hydrate(self._document, plan.joins, sons, self._projection, resolved, {})

    async def chunks(self, size: int) -> AsyncGenerator[list[D], None]:
        """The matching documents, ``size`` at a time; a referenced document loaded once
        is the same object in every chunk."""
        plan = self.plan()
        resolved, cursor = await self._aggregate(plan.pipeline, plan.joins, None)
        loaded: _Loaded = {}
        try:
            while sons := await cursor.to_list(size):
                yield _hydrate(self._document, plan.joins, sons, self._projection, resolved, loaded)
        finally:
            await cursor.close()

    async def get(self, alias: str | None = None) -> list[D]:
        """The one matching document (a list of it), or none; more raise
        ``MultipleObjectsReturned``."""
        documents = await self.find(alias, limit=2)
        if len(documents) > 1:
            raise MultipleObjectsReturned(
                f"{self._document.__name__}.objects.get() matched more than one document "
                f"for {describe_value(merge_and(list(self._filters)))}; use filter() or narrow "
                f"the query"
            )
        return documents

    async def count(self, alias: str | None = None) -> int:
        """How many documents match (within ``skip``/``limit``)."""
        plan = plan_joins(self._document, self._filters, skip=self._skip, limit=self._limit)
        _, cursor = await self._aggregate([*plan.pipeline, {"$count": "n"}], plan.joins, alias)
        try:
            counted = await cursor.to_list(1)
        finally:
            await cursor.close()
        return int(counted[0]["n"]) if counted else 0

    async def exists(self, alias: str | None = None) -> bool:
        """Whether any document matches (after ``skip``)."""
        only_id = Projection.only(self._document._fields_by_db_field, ["_id"])
        plan = plan_joins(
            self._document, self._filters, skip=self._skip, limit=1, projection=only_id
        )
        _, cursor = await self._aggregate(plan.pipeline, plan.joins, alias)
        try:
            return bool(await cursor.to_list(1))
        finally:
            await cursor.close()

    async def explain(
        self, alias: str | None = None, verbosity: str = "queryPlanner"
    ) -> dict[str, Any]:
        """The server's ``explain`` of the aggregation ``find()`` sends."""
        plan = self.plan()
        resolved, collection = await self._collection_for(alias)
        await _prepare(self._document, plan.joins, resolved)
        command = {"aggregate": collection.name, "pipeline": plan.pipeline, "cursor": {}}
        return await explain_command(collection, command, verbosity)


def joining_collection(
    document: type[BaseDocument], joins: dict[str, Join], collection_for: CollectionFor
) -> CollectionFor:
    """``collection_for``, checking first, as every query through references does, that the
    collections ``joins`` read are in the same database (their indexes created)."""

    async def resolve(alias: str | None) -> tuple[Place, AsyncCollection[dict[str, Any]]]:
        resolved, collection = await collection_for(alias)
        await _prepare(document, joins, resolved)
        return resolved, collection

    return resolve


async def _prepare(owner: type[BaseDocument], joins: dict[str, Join], place: Place) -> None:
    """Check that every referenced model is read at ``place`` (``$lookup`` joins the
    collections of one database) and create its declared indexes, as any operation does."""
    for join in joins.values():
        referenced = join.document
        target = reference_place(referenced, place.alias, place.db)
        if target.alias != place.alias:
            where = f"connection {target.alias!r}, not {place.alias!r}"
        elif database_name(target) != database_name(place):
            where = f"database {database_name(target)!r}, not {database_name(place)!r}"
        else:
            where = ""
        if where:
            raise InvalidQueryError(
                f"{owner.__name__}.{join.field.name} references {referenced.__name__}, which "
                f"runs on {where}: a query through references joins collections of one "
                f"database; load the references with find_all(lazy=False) instead"
            )
        await prepared_collection(referenced, *target)
        await _prepare(referenced, join.joins, target)


def _hydrate(
    document: type[D],
    joins: dict[str, Join],
    sons: list[dict[str, Any]],
    projection: Projection | None,
    place: Place,
    loaded: _Loaded,
) -> list[D]:
    """``document``'s documents from ``sons``, without the joined arrays; the selected joins'
    documents hydrated (once per ``_id`` in ``loaded``) and put in place."""
    if not joins:
        return document.hydrate(sons, projection=projection, alias=place.alias, db=place.db)
    names = [join.name for join in joins.values()]
    gathered: dict[str, list[dict[str, Any]]] = {
        join.name: [] for join in joins.values() if join.selected
    }
    for son in sons:
        for name in names:
            found = son.pop(name, None)
            if found and name in gathered:
                gathered[name] += found
    selected = any(join.selected for join in joins.values())  # references placed in each
    documents = document.hydrate(
        sons, projection=projection, alias=place.alias, db=place.db, states=selected
    )
    for join in joins.values():
        if not join.selected:
            continue
        referenced = join.document
        by_id = loaded.setdefault(referenced, {})
        distinct: dict[Any, dict[str, Any]] = {}
        for son in gathered[join.name]:
            distinct.setdefault(son.get("_id"), son)  # one copy per referencing document
        fresh = [son for identifier, son in distinct.items() if identifier not in by_id]
        for instance in _hydrate(referenced, join.joins, fresh, None, place, loaded):
            by_id[instance._stored_id()] = instance
        place_references(documents, [join.field.name], loaded)
    return documents


def find_command(
    collection: AsyncCollection[dict[str, Any]], query: dict[str, Any], options: dict[str, Any]
) -> dict[str, Any]:
    """The ``find`` command of ``collection.find(query, **options)``."""
    command: dict[str, Any] = {"find": collection.name, "filter": query}
    for key, value in options.items():
        command[key] = dict(value) if key == "sort" else value
    return command


async def explain_command(
    collection: AsyncCollection[dict[str, Any]], command: dict[str, Any], verbosity: str
) -> dict[str, Any]:
    """The server's ``explain`` of ``command``, which the reply holds under ``"command"``."""
    reply = await collection.database.command({"explain": command, "verbosity": verbosity})
    reply.setdefault("command", command)
    return reply
