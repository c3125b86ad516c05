"""Batched reference loading: one ``$in`` query per referenced collection per level (no N+1)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from bson import ObjectId

from aiomotorengine.connection import resolve_alias
from aiomotorengine.errors import FieldNotLoadedError, InvalidQueryError
from aiomotorengine.fields.base_field import MISSING, BaseField
from aiomotorengine.fields.embedded_document_field import EmbeddedDocumentField
from aiomotorengine.fields.list_field import ListField
from aiomotorengine.fields.reference_field import DanglingReference, ReferenceField
from aiomotorengine.queryset.persistence import collection_for

if TYPE_CHECKING:
    from aiomotorengine.document import BaseDocument, Document

__all__ = ["load_references"]

# A place holding a reference: (container, key, referenced class), where container[key] is an
# ObjectId (or a loaded document) and is replaced in place once loaded.
_Slot = tuple[Any, Any, "type[Document]"]

# What a field holds, for reference loading.
_REFERENCE, _REFERENCE_LIST, _EMBEDDED, _EMBEDDED_LIST = range(4)
_PlanEntry = tuple[str, BaseField[Any], int, "type[Document] | None"]

# Per model class: the fields that can hold references (directly, in lists, or in embedded
# documents) with the referenced classes resolved, so loading never walks other fields.
_reference_plans: dict[type, tuple[_PlanEntry, ...]] = {}


def _reference_plan(document_class: type[BaseDocument]) -> tuple[_PlanEntry, ...]:
    plan = _reference_plans.get(document_class)
    if plan is None:
        entries: list[_PlanEntry] = []
        for name, field in document_class._fields.items():
            item = field.base_field if isinstance(field, ListField) else field
            in_list = item is not field
            if isinstance(item, ReferenceField):
                kind = _REFERENCE_LIST if in_list else _REFERENCE
                entries.append((name, field, kind, item.reference_type))
            elif isinstance(item, EmbeddedDocumentField):
                entries.append((name, field, _EMBEDDED_LIST if in_list else _EMBEDDED, None))
        plan = _reference_plans[document_class] = tuple(entries)
    return plan


def _raw_value(document: BaseDocument, field: BaseField[Any]) -> Any:
    values = document._values
    if field.name in values:
        return values[field.name]
    try:
        return document._load_field(field)
    except FieldNotLoadedError:
        return MISSING


def _slots(document: BaseDocument, names: Sequence[str] | None) -> Iterator[_Slot]:
    for name, field, kind, reference_type in _reference_plan(type(document)):
        if names is not None and name not in names:
            continue
        value = _raw_value(document, field)
        if value is None or value is MISSING:
            continue
        if kind == _REFERENCE:
            yield document._values, name, reference_type  # type: ignore[misc]
        elif kind == _REFERENCE_LIST:
            for index in range(len(value)):
                yield value, index, reference_type  # type: ignore[misc]
        elif kind == _EMBEDDED:
            yield from _slots(value, None)
        else:
            for item in value:
                if item is not None:
                    yield from _slots(item, None)


async def load_references(
    documents: Sequence[Document], fields: Sequence[str] | None = None
) -> None:
    """Load the references of ``documents`` (all, or the fields named), then those of the
    loaded documents whose model sets ``__lazy__ = False``, level by level. Each level costs
    one ``$in`` query per referenced collection; a dangling reference reads as ``None``.

    A referenced model without a connection of its own is read on the connection its
    referencing document came from."""
    if fields is not None:
        _check_names(documents, fields)
    loaded: defaultdict[type, dict[Any, Document]] = defaultdict(dict)
    for document in documents:
        identifier = document._values.get("_id") or document._raw.get("_id")
        if identifier is not None:
            loaded[type(document)][identifier] = document
    level: Sequence[Document] = documents
    names = fields
    aliases: dict[tuple[type[Document], str | None], str] = {}
    while level:
        pending: defaultdict[tuple[type[Document], str], set[ObjectId]] = defaultdict(set)
        slots: list[_Slot] = []
        for document in level:
            document_alias = document._alias
            for slot in _slots(document, names):
                container, key, reference_type = slot
                value = container[key]
                if not isinstance(value, ObjectId):
                    continue  # loaded already, or dangling
                slots.append(slot)
                if value not in loaded[reference_type]:
                    alias = aliases.get((reference_type, document_alias))
                    if alias is None:
                        alias = aliases[(reference_type, document_alias)] = resolve_alias(
                            reference_type, reference_type.__alias__ or document_alias
                        )
                    pending[(reference_type, alias)].add(value)
        next_level: list[Document] = []
        for (reference_type, alias), ids in pending.items():
            _, collection = collection_for(reference_type, alias)
            found = await collection.find({"_id": {"$in": list(ids)}}).to_list(None)
            by_id = loaded[reference_type]
            for instance in reference_type.hydrate(found, alias=alias):
                by_id[instance._raw["_id"]] = instance
                if not reference_type.__lazy__:
                    next_level.append(instance)
        for container, key, reference_type in slots:
            identifier = container[key]
            container[key] = loaded[reference_type].get(identifier) or DanglingReference(identifier)
        level = next_level
        names = None


def _check_names(documents: Sequence[Document], names: Sequence[str]) -> None:
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
