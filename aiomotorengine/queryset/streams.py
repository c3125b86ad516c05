"""Change streams: ``Model.objects.filter(...).watch()`` and the typed events it yields.

The stream opens on ``async with`` (or on the first event awaited) with the queryset's filter
as its ``$match``, and closes when the block or the ``async for`` loop ends::

    async with Order.objects.filter(status="paid").watch() as stream:
        async for event in stream:
            print(event.operation, event.document_id, event.document)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pymongo.asynchronous.change_stream import AsyncChangeStream

from aiomotorengine.base.document import CollectionDocument
from aiomotorengine.base.state import Place
from aiomotorengine.errors import InvalidQueryError
from aiomotorengine.query.changes import change_stream_match, filters_on_fields
from aiomotorengine.queryset.aggregation import CollectionFor
from aiomotorengine.queryset.driver_errors import attribute_path

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["ChangeEvent", "ChangeStream", "watch_changes"]

D = TypeVar("D", bound=CollectionDocument)

#: Opens the driver's change stream: ``(where it runs, stream)``.
StreamOpener = Callable[[], Awaitable[tuple[Place, AsyncChangeStream[dict[str, Any]]]]]


class ChangeEvent(Generic[D]):
    """One change of a watched collection.

    ``operation`` is the event's ``operationType`` (``"insert"``, ``"update"``, ``"replace"``,
    ``"delete"``, ``"drop"``, ``"invalidate"``...); ``document_id`` the changed document's
    ``_id``; ``document`` the document as the model (after the change; ``None`` for a delete,
    or when the stream gives no full document); ``updated_fields`` and ``removed_fields`` what an
    update changed, by attribute path (values converted by their fields where the path names a
    whole field); ``resume_token`` resumes a stream after this event (``watch(resume_after=...)``);
    ``raw`` is the event as the server sent it::

        event = await stream.next()
        if event.operation == "update" and "status" in event.updated_fields:
            notify(event.document_id, event.document.status)
    """

    __slots__ = (
        "document",
        "document_id",
        "operation",
        "raw",
        "removed_fields",
        "resume_token",
        "updated_fields",
    )

    def __init__(self, model: type[D], raw: dict[str, Any], place: Place) -> None:
        self.raw = raw
        self.operation: str = raw.get("operationType", "")
        self.resume_token: Mapping[str, Any] = raw["_id"]
        self.document_id: Any = (raw.get("documentKey") or {}).get("_id")
        full = raw.get("fullDocument")
        self.document: D | None = (
            model.from_son(full, alias=place.alias, db=place.db) if isinstance(full, dict) else None
        )
        description = raw.get("updateDescription") or {}
        self.updated_fields: dict[str, Any] = {}
        for path, value in (description.get("updatedFields") or {}).items():
            name, field = attribute_path(model, path)
            if field is not None and value is not None:  # the path names a whole field
                value = field.from_son(value)
            self.updated_fields[name] = value
        self.removed_fields: list[str] = [
            attribute_path(model, path)[0] for path in description.get("removedFields") or ()
        ]

    def __repr__(self) -> str:
        return f"<ChangeEvent {self.operation} _id={self.document_id!r}>"


class ChangeStream(Generic[D]):
    """The change events of a queryset's documents, as :class:`ChangeEvent` objects.

    Use it as ``async with qs.watch() as stream: async for event in stream`` (closed when the
    block ends), or directly as ``async for event in qs.watch()`` (closed when the loop ends,
    including by ``break``). ``await stream.next()`` waits for the next event,
    ``await stream.try_next()`` returns ``None`` when none is ready. ``resume_token`` is where
    to resume after the last event seen (also advanced by the server while nothing changes)::

        async for event in Order.objects.watch(resume_after=saved_token):
            await handle(event)
            saved_token = event.resume_token
    """

    def __init__(self, model: type[D], opener: StreamOpener) -> None:
        self._model = model
        self._opener = opener
        self._stream: AsyncChangeStream[dict[str, Any]] | None = None
        self._place: Place | None = None
        self._resume_token: Mapping[str, Any] | None = None
        #: Whether the stream was closed (it cannot be opened again: watch() anew).
        self.closed = False

    def _opened_place(self) -> Place:
        if self._place is None:
            raise RuntimeError("the change stream is not open")
        return self._place

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open" if self._stream is not None else "not opened"
        return f"<ChangeStream {self._model.__name__} {state}>"

    async def _open(self) -> AsyncChangeStream[dict[str, Any]]:
        if self._stream is None:
            if self.closed:
                raise StopAsyncIteration(f"the change stream of {self._model.__name__} is closed")
            self._place, self._stream = await self._opener()
        return self._stream

    async def __aenter__(self) -> Self:
        await self._open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    def __aiter__(self) -> AsyncIterator[ChangeEvent[D]]:
        return self._events()

    async def _events(self) -> AsyncIterator[ChangeEvent[D]]:
        if self.closed:
            return
        try:
            stream = await self._open()
            async for raw in stream:
                yield ChangeEvent(self._model, raw, self._opened_place())
        finally:
            await self.close()

    async def next(self) -> ChangeEvent[D]:
        """The next event, waiting for it (``StopAsyncIteration`` once the stream is over)."""
        stream = await self._open()
        return ChangeEvent(self._model, await stream.next(), self._opened_place())

    async def try_next(self) -> ChangeEvent[D] | None:
        """The next event if the server has one now, else ``None``."""
        stream = await self._open()
        raw = await stream.try_next()
        return None if raw is None else ChangeEvent(self._model, raw, self._opened_place())

    @property
    def resume_token(self) -> Mapping[str, Any] | None:
        """The token to resume after the last event seen, kept after ``close()`` (``None``
        before the stream opens)."""
        return self._resume_token if self._stream is None else self._stream.resume_token

    async def close(self) -> None:
        """Close the stream on the server (idempotent)."""
        self.closed = True
        stream, self._stream = self._stream, None
        if stream is not None:
            self._resume_token = stream.resume_token
            await stream.close()


def watch_changes(
    model: type[D],
    collection_for: CollectionFor,
    query: dict[str, Any],
    *,
    full_document: str | None,
    resume_after: Mapping[str, Any] | None,
    start_after: Mapping[str, Any] | None,
    max_await_time_ms: int | None,
    batch_size: int | None,
) -> ChangeStream[D]:
    """The change stream of ``model``'s documents matching ``query`` (checked now, opened on
    first use, never inside a transaction: MongoDB runs none there)."""
    name = model.__name__
    if filters_on_fields(query) and full_document in (None, "default"):
        raise InvalidQueryError(
            f"{name}.objects.watch(): a filter on fields needs the changed document: "
            f"full_document='updateLookup' (or 'whenAvailable', 'required'), got "
            f"{full_document!r}"
        )
    pipeline = [{"$match": change_stream_match(name, query)}] if query else []
    options: dict[str, Any] = {
        "full_document": full_document,
        "resume_after": resume_after,
        "start_after": start_after,
        "max_await_time_ms": max_await_time_ms,
        "batch_size": batch_size,
    }

    async def opener() -> tuple[Place, AsyncChangeStream[dict[str, Any]]]:
        place, collection = await collection_for(None)
        return place, await collection.watch(pipeline, **options)

    return ChangeStream(model, opener)
