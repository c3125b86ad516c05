"""Collections and indexes of models, created on one or several connections and databases.

A model declares indexes with ``unique=True``/``sparse=True`` on fields, GeoJSON fields
(``2dsphere``, unless ``index=False``) and a model-level ``__indexes__`` list of :class:`Index`.
The first operation on a model's collection creates them (unless ``__auto_index__ = False`` or
``connect(..., auto_index=False)``); deployment scripts create them explicitly with
``await Model.ensure_index()``, :func:`sync_indexes` for several models on several connections,
or :func:`sync_collection` (cqlengine's ``sync_table``, also importable under that name) and
:func:`sync_all`, which create the collections too, on every (connection, database) pair, and
report what they created (also ``python -m aiomotorengine sync``). They also install the
validator (``Model.bson_schema()``) of a model that sets ``__validator__ = True``::

    class Event(Document):
        __indexes__ = [
            Index("last_name", "first_name", unique=True),
            Index("created", expire_after_seconds=3600),
        ]
        email = StringField(unique=True, sparse=True)

    await Event.ensure_index()
    await sync_indexes([Event, User], connections=["cluster1", "cluster2"])
    await sync_collection(Event, connections=["cluster1", "cluster2"], dbs=["ks1", "ks2"])
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType

from pymongo.errors import CollectionInvalid

from aiomotorengine.base.document import CollectionDocument
from aiomotorengine.connection import get_connection, resolve_alias
from aiomotorengine.document import Document
from aiomotorengine.errors import IndexDeclarationError
from aiomotorengine.query.indexes import Index, index_models
from aiomotorengine.queryset.indexes import ensure_indexes, resolve_place

__all__ = [
    "CollectionSync",
    "Index",
    "IndexDeclarationError",
    "ensure_indexes",
    "index_models",
    "models_in",
    "sync_all",
    "sync_collection",
    "sync_indexes",
    "sync_table",
]


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


@dataclass(frozen=True)
class CollectionSync:
    """What :func:`sync_collection` did for one model on one connection and database: whether
    it created the collection, and the names of the indexes it created (``indexes``: every
    index the model declares, all of which exist afterwards)."""

    model: str
    alias: str
    db: str
    collection: str
    created_collection: bool
    created_indexes: tuple[str, ...]
    indexes: tuple[str, ...]

    def __str__(self) -> str:
        done = []
        if self.created_collection:
            done.append(f"created collection {self.collection!r}")
        if self.created_indexes:
            done.append(f"created index(es) {', '.join(self.created_indexes)}")
        if not done:
            done.append(f"nothing to create ({len(self.indexes)} declared index(es) exist)")
        return f"{self.model} on {self.alias!r}, database {self.db!r}: {'; '.join(done)}"


async def sync_collection(
    model: type[CollectionDocument],
    connections: Iterable[str | None] | None = None,
    dbs: Iterable[str | None] | None = None,
) -> list[CollectionSync]:
    """Create ``model``'s collection and the indexes it declares on every pair of connection
    (``connections``; ``None``: the model's own) and database (``dbs``; ``None``: the model's
    ``__db__``, else each connection's default), whatever the automatic-creation opt-outs say.
    Idempotent; returns what it did per pair. cqlengine's ``sync_table``::

        done = await sync_collection(Automobile, connections=["cluster1", "cluster2"],
                                     dbs=["ks1", "ks2"])
        print(*done, sep="\n")  # Automobile on 'cluster1', database 'ks1': created ...

    An unknown connection raises ``ConnectionError`` naming it, before anything is created.
    """
    aliases = list(connections) if connections is not None else [None]
    databases = list(dbs) if dbs is not None else [None]
    places = [resolve_place(model, alias, db) for alias in aliases for db in databases]
    for place in places:
        get_connection(place.alias)
    declared = tuple(str(index.document["name"]) for index in index_models(model))
    done: list[CollectionSync] = []
    for place in dict.fromkeys(places):
        handle = get_connection(place.alias)
        database = handle.client[place.db or handle.name]
        name = model.__collection__
        created = not await database.list_collection_names(filter={"name": name})
        if created:
            try:
                await database.create_collection(name)
            except CollectionInvalid:  # created meanwhile by someone else
                created = False
        existing = set(await database[name].index_information()) if not created else set()
        await ensure_indexes(model, alias=place.alias, db=place.db)
        done.append(
            CollectionSync(
                model=model.__name__,
                alias=place.alias,
                db=database.name,
                collection=name,
                created_collection=created,
                created_indexes=tuple(index for index in declared if index not in existing),
                indexes=declared,
            )
        )
    return done


sync_table = sync_collection


def models_in(module: ModuleType) -> list[type[Document]]:
    """The ``Document`` classes ``module`` defines (not those it imports), in name order."""
    return [
        value
        for _, value in inspect.getmembers(module, inspect.isclass)
        if issubclass(value, Document)
        and value is not Document
        and value.__module__ == module.__name__
    ]


async def sync_all(
    models_or_module: Iterable[type[CollectionDocument]] | ModuleType,
    connections: Iterable[str | None] | None = None,
    dbs: Iterable[str | None] | None = None,
    *,
    progress: Callable[[int, int, type[CollectionDocument], list[CollectionSync]], None]
    | None = None,
) -> list[CollectionSync]:
    """:func:`sync_collection` for several models (or every ``Document`` class a module
    defines), one after the other; ``progress(index, total, model, done)`` is called after
    each, with what was done for that model::

        await sync_all(myapp.models, connections=["cluster1", "cluster2"])
    """
    if isinstance(models_or_module, ModuleType):
        models: list[type[CollectionDocument]] = list(models_in(models_or_module))
    else:
        models = list(models_or_module)
    aliases = list(connections) if connections is not None else None
    databases = list(dbs) if dbs is not None else None
    done: list[CollectionSync] = []
    for index, model in enumerate(models, 1):
        synced = await sync_collection(model, aliases, databases)
        if progress is not None:
            progress(index, len(models), model, synced)
        done.extend(synced)
    return done
