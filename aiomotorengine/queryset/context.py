"""``ContextQuery``: models bound to a connection and/or database, for a ``with`` block.

The block yields a bound copy of each model (see ``CollectionDocument._bound``): a subclass
whose queries and new documents go to the connection and database given. The models themselves
are left as they are, inside the block too, so nothing else (another task, a library, code in
the block that names the model) is affected.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Generic, TypeVar, overload

from aiomotorengine.base.document import CollectionDocument
from aiomotorengine.connection import get_connection

__all__ = ["ContextQuery"]

M = TypeVar("M")
D = TypeVar("D", bound=CollectionDocument)
D2 = TypeVar("D2", bound=CollectionDocument)
D3 = TypeVar("D3", bound=CollectionDocument)


class ContextQuery(Generic[M]):
    """Bind models to connection ``connection`` and/or database ``db`` for a block::

        with ContextQuery(Automobile, connection="cluster1") as A:
            await A.objects.filter(manufacturer="honda").find_all()  # on "cluster1"
            await Automobile.objects.find_all()                       # where it always goes

        with ContextQuery(Automobile, Owner, db="ks2") as (A, O):
            ...

    ``A`` is a subclass of ``Automobile`` (its documents are ``Automobile`` instances, equal to
    those of ``Automobile`` with the same ``_id``, and remember where they were loaded from:
    they save back there after the block too). What is not given stays as the model says.
    Unlike :func:`~aiomotorengine.connection.switch_connection`, which switches what a model
    resolves to for the whole task, ``ContextQuery`` changes nothing but what it yields.
    """

    @overload
    def __init__(
        self: ContextQuery[type[D]],
        model: type[D],
        /,
        *,
        connection: str | None = None,
        db: str | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self: ContextQuery[tuple[type[D], type[D2]]],
        model: type[D],
        other: type[D2],
        /,
        *,
        connection: str | None = None,
        db: str | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self: ContextQuery[tuple[type[D], type[D2], type[D3]]],
        model: type[D],
        other: type[D2],
        third: type[D3],
        /,
        *,
        connection: str | None = None,
        db: str | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self: ContextQuery[tuple[type[CollectionDocument], ...]],
        *models: type[CollectionDocument],
        connection: str | None = None,
        db: str | None = None,
    ) -> None: ...

    def __init__(
        self,
        *models: type[CollectionDocument],
        connection: str | None = None,
        db: str | None = None,
    ) -> None:
        if not models:
            raise TypeError("ContextQuery needs at least one model")
        for model in models:
            if not (isinstance(model, type) and issubclass(model, CollectionDocument)):
                raise TypeError(f"ContextQuery takes Document classes, got {model!r}")
        if connection is None and db is None:
            raise TypeError("ContextQuery needs connection=... or db=... (or both)")
        if connection is not None:
            get_connection(connection)  # an unknown name fails here, naming it
        self._bound = tuple(model._bound(connection, db) for model in models)

    def __enter__(self) -> M:
        bound: Any = self._bound[0] if len(self._bound) == 1 else self._bound
        return bound  # type: ignore[no-any-return]

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None
