"""Index declarations compiled to the driver's ``IndexModel`` (no I/O).

A model declares indexes with ``unique=True``/``sparse=True`` on fields, GeoJSON fields
(``2dsphere``, unless ``index=False``) and a model-level ``__indexes__`` list of :class:`Index`.
Names resolve through the model's fields as in filters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pymongo import ASCENDING, DESCENDING, GEOSPHERE, HASHED, IndexModel

from aiomotorengine.base.document import CollectionDocument
from aiomotorengine.base.fields import BaseField
from aiomotorengine.errors import IndexDeclarationError, InvalidQueryError, describe_value
from aiomotorengine.query.compiler import compile_filter, resolve_field_path
from aiomotorengine.query.q import Q, compile_node

__all__ = ["Index", "index_models"]

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

    def to_index_model(self, document: type[CollectionDocument]) -> IndexModel:
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


def _db_path(document: type[CollectionDocument], name: str) -> str:
    try:
        path, _, _ = resolve_field_path(document, name, allow_operator=False)
    except InvalidQueryError as error:
        raise IndexDeclarationError(f"{document.__name__}.__indexes__: {error}") from None
    return path


def _compile_partial(
    document: type[CollectionDocument], value: Mapping[str, Any] | Q
) -> dict[str, Any]:
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
    for field in fields.values():
        path = prefix + field.db_field
        yield from field.declared_indexes(path)
        embedded = field.element_field().embedded_document()
        if embedded is not None and embedded not in seen:  # a recursive type is walked once
            yield from _field_indexes(embedded._fields, path + ".", seen | {embedded})


def index_models(document: type[CollectionDocument]) -> list[IndexModel]:
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
