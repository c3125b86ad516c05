"""Batched reference loading: one ``$in`` query per referenced collection per level (no N+1)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from bson import ObjectId

from aiomotorengine.base.document import (
    EMBEDDED,
    REFERENCE,
    REFERENCE_LIST,
    BaseDocument,
    CollectionDocument,
)
from aiomotorengine.base.fields import MISSING
from aiomotorengine.base.state import Place
from aiomotorengine.connection import resolve_alias
from aiomotorengine.errors import InvalidQueryError
from aiomotorengine.fields.reference_field import DanglingReference
from aiomotorengine.queryset.indexes import prepared_collection
from aiomotorengine.queryset.transactions import session_for

__all__ = ["LoadedReferences", "load_references", "place_references", "reference_place"]

# A place holding a reference: (container, key, referenced class), where container[key] is an
# ObjectId (or a loaded document) and is replaced in place once loaded.
_Slot = tuple[Any, Any, type[CollectionDocument]]
#: A slot that holds no reference to load (loaded already, or dangling).
_DONE: _Slot = ((), 0, CollectionDocument)


def _collect_slots(document: BaseDocument, names: Sequence[str] | None, slots: list[_Slot]) -> None:
    """Append to ``slots`` the places in ``document`` that hold references (of the fields
    ``names``; ``None``: all), embedded documents included."""
    values = document._state.values
    for name, field, kind, reference_type in document.reference_plan():
        if names is not None and name not in names:
            continue
        value = values.get(name, MISSING)
        if value is MISSING:
            value = document._loaded_value(field)
        if value is None or value is MISSING:
            continue
        if kind == REFERENCE:
            slots.append((values, name, reference_type))
        elif kind == REFERENCE_LIST:
            slots.extend((value, index, reference_type) for index in range(len(value)))
        elif kind == EMBEDDED:
            _collect_slots(value, None, slots)
        else:
            for item in value:
                if item is not None:
                    _collect_slots(item, None, slots)


class LoadedReferences(Mapping[str, Any]):
    """What ``load_references()`` did, readable as attributes and, as in 0.x, as a mapping:
    ``result.loaded_reference_count`` / ``result["loaded_reference_count"]`` (references
    replaced by their documents; dangling ones are not counted) and ``loaded_values`` (the
    documents loaded, each once)."""

    __slots__ = ("loaded_reference_count", "loaded_values")

    def __init__(self, loaded_reference_count: int, loaded_values: list[CollectionDocument]):
        self.loaded_reference_count = loaded_reference_count
        self.loaded_values = loaded_values

    def __getitem__(self, key: str) -> Any:
        if key not in self.__slots__:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self.__slots__)

    def __len__(self) -> int:
        return len(self.__slots__)

    def __repr__(self) -> str:
        return (
            f"<LoadedReferences loaded_reference_count={self.loaded_reference_count} "
            f"loaded_values={len(self.loaded_values)}>"
        )


async def load_references(
    documents: Sequence[BaseDocument], fields: Sequence[str] | None = None
) -> LoadedReferences:
    """Load the references of ``documents`` (all, or the fields named), then those of the
    loaded documents whose model sets ``__lazy__ = False``, level by level. Each level costs
    one ``$in`` query per referenced collection; a dangling reference reads as ``None``.

    A referenced model without a connection of its own is read on the connection its
    referencing document came from (for an embedded document: the default), and, if it names
    no database of its own either, in that document's database."""
    if fields is not None:
        _check_names(documents, fields)
    # The documents given, by class: a reference among them needs no query. Keyed by _id only
    # for the classes references point to (hashing an ObjectId is a Python call).
    given: defaultdict[type, list[CollectionDocument]] = defaultdict(list)
    for document in documents:
        if isinstance(document, CollectionDocument):
            given[type(document)].append(document)
    loaded: dict[type, dict[Any, CollectionDocument]] = {}

    def loaded_of(reference_type: type) -> dict[Any, CollectionDocument]:
        by_id = loaded.get(reference_type)
        if by_id is None:
            by_id = loaded[reference_type] = {}
            for document in given.pop(reference_type, ()):
                identifier = document._stored_id()
                if identifier is not None:
                    by_id[identifier] = document
        return by_id

    level: Sequence[BaseDocument] = documents
    count = 0
    values: list[CollectionDocument] = []
    names = fields
    places: dict[tuple[type[CollectionDocument], str | None, str | None], Place] = {}
    while level:
        # The ids to read, by referenced class and place (ids loaded already are left out once
        # per id, below, rather than once per reference).
        pending: defaultdict[tuple[type[CollectionDocument], Place], set[ObjectId]] = defaultdict(
            set
        )
        slots: list[_Slot] = []
        for document in level:
            first = len(slots)
            _collect_slots(document, names, slots)
            if len(slots) == first:
                continue
            state = document._state
            document_alias, document_db = state.alias, state.db
            ids: set[ObjectId] | None = None
            ids_of: type | None = None
            for index in range(first, len(slots)):
                container, key, reference_type = slots[index]
                value = container[key]
                if not isinstance(value, ObjectId):
                    slots[index] = _DONE  # loaded already, or dangling
                    continue
                if reference_type is not ids_of:
                    place_key = (reference_type, document_alias, document_db)
                    place = places.get(place_key)
                    if place is None:
                        place = places[place_key] = reference_place(
                            reference_type, document_alias, document_db
                        )
                    ids, ids_of = pending[(reference_type, place)], reference_type
                ids.add(value)  # type: ignore[union-attr]
        next_level: list[CollectionDocument] = []
        for (reference_type, place), ids in pending.items():
            by_id = loaded_of(reference_type)
            wanted = [identifier for identifier in ids if identifier not in by_id]
            if not wanted:
                continue
            place, collection = await prepared_collection(reference_type, *place)
            query = {"_id": {"$in": wanted}}
            found = await collection.find(query, session=session_for(place)).to_list(None)
            hydrated = reference_type.hydrate(found, alias=place.alias, db=place.db)
            for son, instance in zip(found, hydrated, strict=True):
                by_id[son["_id"]] = instance
            values.extend(hydrated)
            if not reference_type.__lazy__:
                next_level.extend(hydrated)
        for slot in slots:
            if slot is _DONE:
                continue
            container, key, reference_type = slot
            identifier = container[key]
            target = loaded_of(reference_type).get(identifier)
            if target is None:
                container[key] = DanglingReference(identifier)
            else:
                container[key] = target
                count += 1
        level = next_level
        names = None
    return LoadedReferences(count, values)


def reference_place(
    reference_type: type[CollectionDocument], alias: str | None, db: str | None
) -> Place:
    """Where documents of ``reference_type`` referenced from a document living at ``alias``
    and ``db`` are read: the model's own connection and database, else the document's."""
    own_alias = reference_type.__alias__
    return Place(
        resolve_alias(reference_type, own_alias or alias),
        reference_type.__db__ or (db if own_alias is None else None),
    )


def place_references(
    documents: Sequence[BaseDocument],
    names: Sequence[str],
    loaded: Mapping[type[CollectionDocument], Mapping[Any, CollectionDocument]],
) -> None:
    """Put the documents of ``loaded`` (by class, then ``_id``) in place of the ids that
    ``documents`` hold in the reference fields ``names``; an id with no document there becomes
    a :class:`DanglingReference`, which reads as ``None`` (as ``load_references`` does)."""
    plans: dict[type, list[tuple[str, Any, int, Mapping[Any, CollectionDocument]]]] = {}
    for document in documents:
        plan = plans.get(type(document))
        if plan is None:
            plan = plans[type(document)] = [
                (name, field, kind, loaded.get(reference_type, {}))
                for name, field, kind, reference_type in document.reference_plan()
                if name in names and kind in (REFERENCE, REFERENCE_LIST)
            ]
        for name, field, kind, by_id in plan:
            value = document._loaded_value(field)
            if kind == REFERENCE:
                if isinstance(value, ObjectId):
                    target = by_id.get(value)
                    document._state.values[name] = (
                        DanglingReference(value) if target is None else target
                    )
            elif value is not None and value is not MISSING:
                for index, item in enumerate(value):
                    if isinstance(item, ObjectId):
                        target = by_id.get(item)
                        value[index] = DanglingReference(item) if target is None else target


def _check_names(documents: Sequence[BaseDocument], names: Sequence[str]) -> None:
    if isinstance(names, str):
        raise InvalidQueryError(
            f"load_references(fields=...) takes a list of field names, got {names!r}"
        )
    for document_class in {type(document) for document in documents}:
        unknown = [name for name in names if name not in document_class._fields]
        if unknown:
            raise InvalidQueryError(
                f"{document_class.__name__}.load_references(): no field named "
                f"{', '.join(repr(name) for name in unknown)}"
            )
