"""Index management: what a model declares, created on one or several connections.

A model declares indexes with ``unique=True``/``sparse=True`` on fields, GeoJSON fields
(``2dsphere``, unless ``index=False``) and a model-level ``__indexes__`` list of :class:`Index`.
The first operation on a model's collection creates them (unless ``__auto_index__ = False`` or
``connect(..., auto_index=False)``); deployment scripts create them explicitly with
``await Model.ensure_index()``, or :func:`sync_indexes` for several models on several
connections (also ``python -m aiomotorengine sync-indexes``). Both also install the validator
(``Model.bson_schema()``) of a model that sets ``__validator__ = True``::

    class Event(Document):
        __indexes__ = [
            Index("last_name", "first_name", unique=True),
            Index("created", expire_after_seconds=3600),
        ]
        email = StringField(unique=True, sparse=True)

    await Event.ensure_index()
    await sync_indexes([Event, User], connections=["cluster1", "cluster2"])
"""

from __future__ import annotations

from collections.abc import Iterable

from aiomotorengine.base.document import CollectionDocument
from aiomotorengine.connection import resolve_alias
from aiomotorengine.errors import IndexDeclarationError
from aiomotorengine.query.indexes import Index, index_models
from aiomotorengine.queryset.indexes import ensure_indexes

__all__ = ["Index", "IndexDeclarationError", "ensure_indexes", "index_models", "sync_indexes"]


async def sync_indexes(
    models: Iterable[type[CollectionDocument]], connections: Iterable[str | None] | None = None
) -> dict[str, dict[str, int]]:
    """Ensure the indexes of several models on several connections (each model on its own
    connection when ``connections`` is not given), whatever the automatic-creation opt-outs
    say, and the validators of models with ``__validator__ = True``; returns
    ``{alias: {model: index count}}``. Stored duplicates of a unique key raise
    ``UniqueKeyViolationError``::

        await sync_indexes([Automobile, Owner], connections=["cluster1", "cluster2"])
    """
    models = list(models)
    aliases = list(connections) if connections is not None else [None]
    done: dict[str, dict[str, int]] = {}
    for alias in aliases:
        for model in models:
            resolved = resolve_alias(model, model.__alias__, alias)
            count = await ensure_indexes(model, alias=resolved)
            done.setdefault(resolved, {})[model.__name__] = count
    return done
