"""``Aggregation``: the pipeline builder of ``Model.objects.aggregate``, and running it.

Building and compiling stages is :class:`aiomotorengine.query.pipeline.Pipeline` (no I/O); this
module adds ``fetch()`` and ``async for``, whose results read as attributes::

    results = await (
        User.objects.aggregate.match(age__gte=18)
        .group_by("country", Aggregation.avg("age", alias="average_age"))
        .order_by("average_age", DESCENDING)
        .fetch()
    )
    results[0].country, results[0].average_age
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from pymongo.asynchronous.collection import AsyncCollection

from aiomotorengine.base.document import CollectionDocument
from aiomotorengine.base.state import Place
from aiomotorengine.query.pipeline import Accumulator, Pipeline
from aiomotorengine.queryset.transactions import session_for

__all__ = ["Accumulator", "Aggregation", "AggregationResult"]

D = TypeVar("D", bound=CollectionDocument)

#: Gives ``(place, collection)`` for a connection alias (``None``: the queryset's own), once the
#: model's declared indexes exist there.
CollectionFor = Callable[[str | None], Awaitable[tuple[Place, AsyncCollection[dict[str, Any]]]]]


class AggregationResult(dict[str, Any]):
    """One result document: a dict whose keys also read as attributes (nested dicts too).
    A grouped ``_id`` document's keys are copied to the top level (``result.country``)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(
                f"aggregation result has no key {name!r} (keys: {', '.join(self)})"
            ) from None


def _wrap(value: Any) -> Any:
    if isinstance(value, dict):
        return AggregationResult({key: _wrap(item) for key, item in value.items()})
    if isinstance(value, list):
        return [_wrap(item) for item in value]
    return value


def _result(son: dict[str, Any]) -> AggregationResult:
    result = _wrap(son)
    identifier = result.get("_id")
    if isinstance(identifier, dict):
        for key, value in identifier.items():
            result.setdefault(key, value)
    return result  # type: ignore[no-any-return]


class Aggregation(Pipeline[D]):
    """The pipeline builder of ``Model.objects.aggregate``; every method adds a stage and
    returns the builder. ``await .fetch()`` runs it, ``async for`` streams it, and
    ``.to_query()`` is the pipeline list. Driver errors (``OperationFailure``) propagate as
    they are::

        await Post.objects.aggregate.unwind("tags").group_by(
            "tags", Aggregation.sum(1, alias="count")
        ).order_by("count", DESCENDING).limit(10).fetch()
    """

    def __init__(self, document: type[D], collection_for: CollectionFor) -> None:
        super().__init__(document)
        self._collection_for = collection_for

    async def fetch(self, alias: str | None = None) -> list[AggregationResult]:
        """Run the pipeline; results are dicts readable as attributes (``r.average_age``)."""
        resolved, collection = await self._collection_for(alias)
        cursor = await collection.aggregate(self.to_query(), session=session_for(resolved))
        try:
            return [_result(son) for son in await cursor.to_list(None)]
        finally:
            await cursor.close()

    def __aiter__(self) -> AsyncIterator[AggregationResult]:
        return self._stream()

    async def _stream(self) -> AsyncIterator[AggregationResult]:
        resolved, collection = await self._collection_for(None)
        cursor = await collection.aggregate(self.to_query(), session=session_for(resolved))
        try:
            async for son in cursor:
                yield _result(son)
        finally:
            await cursor.close()
