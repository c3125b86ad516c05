"""Index management: what a model declares, created on one or several connections.

A model declares indexes with ``unique=True``/``sparse=True`` on fields, GeoJSON fields
(``2dsphere``, unless ``index=False``) and a model-level ``__indexes__`` list of :class:`Index`.
Nothing is created as a side effect of saving: call ``await Model.ensure_index()``, or
:func:`sync_indexes` for several models on several connections (also
``python -m aiomotorengine sync-indexes``)::

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

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pymongo import ASCENDING, DESCENDING, GEOSPHERE, HASHED, IndexModel

from aiomotorengine.errors import IndexDeclarationError, InvalidQueryError, describe_value
from aiomotorengine.fields.base_field import BaseField
from aiomotorengine.fields.embedded_document_field import EmbeddedDocumentField
from aiomotorengine.fields.list_field import ListField
from aiomotorengine.query.compiler import compile_filter, compile_node, resolve_field_path
from aiomotorengine.query.q import Q

if TYPE_CHECKING:
    from aiomotorengine.document import Document

__all__ = ["Index", "IndexDeclarationError", "ensure_indexes", "index_models", "sync_indexes"]

_KEY_TYPES = (ASCENDING, DESCENDING, GEOSPHERE, HASHED, "2d", "text")


class Index:
    """A model-level index declaration for ``__indexes__``.

    Keys are attribute names (translated to their ``db_field``; ``address__city`` reaches into
    embedded documents): ``"name"`` (ascending), ``"-name"`` (descending) or
    ``("name", ASCENDING | DESCENDING | "2dsphere" | "hashed")``. Options: ``unique``,
    ``sparse``, ``expire_after_seconds`` (TTL), ``partial_filter`` (keyword filters as for
    ``filter()``, a ``Q`` or a raw dict), ``name``, and any other ``create_index`` option::

        __indexes__ = [
            Index(("last_name", ASCENDING), ("first_name", ASCENDING), unique=True),
            Index("created", expire_after_seconds=3600),
            Index("email", unique=True, partial_filter={"active": True}),
            Index(("location", GEOSPHERE)),
        ]
    """

    def __init__(
        self,
        *keys: str | tuple[str, int | str],
        unique: bool = False,
        sparse: bool = False,
        expire_after_seconds: int | None = None,
        partial_filter: Mapping[str, Any] | Q | None = None,
        name: str | None = None,
        **options: Any,
    ) -> None:
        if not keys:
            raise IndexDeclarationError("Index() needs at least one key")
        self.keys: list[tuple[str, int | str]] = []
        for key in keys:
            if isinstance(key, str):
                if key.startswith("-"):
                    self.keys.append((key[1:], DESCENDING))
                else:
                    self.keys.append((key.lstrip("+"), ASCENDING))
            elif (
                isinstance(key, tuple)
                and len(key) == 2
                and isinstance(key[0], str)
                and key[1] in _KEY_TYPES
            ):
                self.keys.append((key[0], key[1]))
            else:
                raise IndexDeclarationError(
                    f"Index key must be 'name', '-name' or (name, ASCENDING/DESCENDING/"
                    f"'2dsphere'/'hashed'), got {describe_value(key)}"
                )
        if expire_after_seconds is not None and (
            not isinstance(expire_after_seconds, int)
            or isinstance(expire_after_seconds, bool)
            or expire_after_seconds < 0
        ):
            raise IndexDeclarationError(
                f"Index expire_after_seconds must be a non-negative int, got "
                f"{describe_value(expire_after_seconds)}"
            )
        self.unique = unique
        self.sparse = sparse
        self.expire_after_seconds = expire_after_seconds
        self.partial_filter = partial_filter
        self.name = name
        self.options = options

    def __repr__(self) -> str:
        return f"<Index {self.keys!r}{' unique' if self.unique else ''}>"

    def to_index_model(self, document: type[Document]) -> IndexModel:
        """The driver's ``IndexModel`` with names resolved through ``document``'s fields."""
        keys = [(_db_path(document, name), direction) for name, direction in self.keys]
        options: dict[str, Any] = dict(self.options)
        if self.unique:
            options["unique"] = True
        if self.sparse:
            options["sparse"] = True
        if self.expire_after_seconds is not None:
            options["expireAfterSeconds"] = self.expire_after_seconds
        if self.partial_filter is not None:
            options["partialFilterExpression"] = _compile_partial(document, self.partial_filter)
        if self.name is not None:
            options["name"] = self.name
        return IndexModel(keys, **options)


def _db_path(document: type[Document], name: str) -> str:
    try:
        path, _, _ = resolve_field_path(document, name, allow_operator=False)
    except InvalidQueryError as error:
        raise IndexDeclarationError(f"{document.__name__}.__indexes__: {error}") from None
    return path


def _compile_partial(document: type[Document], value: Mapping[str, Any] | Q) -> dict[str, Any]:
    if isinstance(value, Q):
        return compile_node(document, value)
    if any(key.startswith("$") for key in value):
        return dict(value)  # a raw filter
    try:
        return compile_filter(document, dict(value))
    except InvalidQueryError as error:
        raise IndexDeclarationError(f"{document.__name__}.__indexes__: {error}") from None


def _field_indexes(
    fields: Mapping[str, BaseField[Any]], prefix: str, seen: frozenset[type]
) -> Iterable[IndexModel]:
    from aiomotorengine.fields.geojson.base import GeoJSONField

    for field in fields.values():
        path = prefix + field.db_field
        if field.unique or field.sparse:
            options: dict[str, Any] = {}
            if field.unique:
                options["unique"] = True
            if field.sparse:
                options["sparse"] = True
            yield IndexModel([(path, ASCENDING)], **options)
        if isinstance(field, GeoJSONField) and field.index:
            yield IndexModel([(path, GEOSPHERE)])
        inner = field.base_field if isinstance(field, ListField) else field
        if isinstance(inner, EmbeddedDocumentField):
            embedded = inner.embedded_type
            if embedded not in seen:  # a recursive embedded type is walked once
                yield from _field_indexes(embedded._fields, path + ".", seen | {embedded})


def index_models(document: type[Document]) -> list[IndexModel]:
    """Every index ``document`` declares, as driver ``IndexModel`` objects (no I/O): field
    options (``unique``/``sparse``, GeoJSON ``2dsphere``, also inside embedded documents) and
    ``__indexes__``. A key declared twice is created once."""
    declared = list(_field_indexes(document._fields, "", frozenset({document})))
    for index in getattr(document, "__indexes__", None) or ():
        if not isinstance(index, Index):
            raise IndexDeclarationError(
                f"{document.__name__}.__indexes__ must hold Index(...) declarations, got "
                f"{describe_value(index)}"
            )
        declared.append(index.to_index_model(document))
    unique: dict[tuple[Any, ...], IndexModel] = {}
    for model in declared:
        key = tuple(model.document["key"].items())
        previous = unique.get(key)
        if previous is not None and previous.document != model.document:
            raise IndexDeclarationError(
                f"{document.__name__}: two index declarations on {list(key)!r} disagree "
                f"({_options(previous)} vs {_options(model)}); declare it once"
            )
        unique[key] = model
    return list(unique.values())


def _options(model: IndexModel) -> dict[str, Any]:
    return {key: value for key, value in model.document.items() if key not in ("key", "name")}


async def ensure_indexes(document: type[Document], alias: str | None = None) -> int:
    """Create the indexes ``document`` declares on its collection (on ``alias``, else the
    connection its queries use). Idempotent; returns how many indexes the model declares, all
    of which exist afterwards::

        count = await ensure_indexes(User)          # or: await User.ensure_index()

    An existing index with the same keys but other options raises the driver's
    ``OperationFailure`` (drop it first to change it).
    """
    from aiomotorengine.queryset.persistence import collection_for

    models = index_models(document)
    if not models:
        return 0
    _, collection = collection_for(document, alias)
    await collection.create_indexes(models)
    return len(models)


async def sync_indexes(
    models: Iterable[type[Document]], connections: Iterable[str | None] | None = None
) -> dict[str, dict[str, int]]:
    """Ensure the indexes of several models on several connections (each model on its own
    connection when ``connections`` is not given); returns ``{alias: {model: count}}``::

        await sync_indexes([Automobile, Owner], connections=["cluster1", "cluster2"])
    """
    from aiomotorengine.connection import resolve_alias

    models = list(models)
    aliases = list(connections) if connections is not None else [None]
    done: dict[str, dict[str, int]] = {}
    for alias in aliases:
        for model in models:
            resolved = resolve_alias(model, model.__alias__, alias)
            count = await ensure_indexes(model, alias=resolved)
            done.setdefault(resolved, {})[model.__name__] = count
    return done
