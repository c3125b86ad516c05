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

# A place holding references: (container, key, reference field), where container[key] is an
# ObjectId (or a loaded document) and is replaced in place once loaded.
_Slot = tuple[Any, Any, ReferenceField[Any]]


def _raw_value(document: BaseDocument, field: BaseField[Any]) -> Any:
    values = document._values
    if field.name in values:
        return values[field.name]
    try:
        return document._load_field(field)
    except FieldNotLoadedError:
        return MISSING


# Per model class: the fields that can hold references (directly, in lists, or in embedded
# documents), so loading never walks the other fields.
_reference_plans: dict[type, tuple[tuple[str, BaseField[Any]], ...]] = {}


def _reference_plan(document_class: type[BaseDocument]) -> tuple[tuple[str, BaseField[Any]], ...]:
    plan = _reference_plans.get(document_class)
    if plan is None:
        plan = _reference_plans[document_class] = tuple(
            (name, field)
            for name, field in document_class._fields.items()
            if isinstance(field, (ReferenceField, EmbeddedDocumentField))
            or (
                isinstance(field, ListField)
                and isinstance(field.base_field, (ReferenceField, EmbeddedDocumentField))
            )
        )
    return plan


def _slots(document: BaseDocument, names: Sequence[str] | None) -> Iterator[_Slot]:
    for name, field in _reference_plan(type(document)):
        if names is not None and name not in names:
            continue
        if isinstance(field, ReferenceField):
            if _raw_value(document, field) is not MISSING:
                yield document._values, name, field
        elif isinstance(field, ListField):
            base = field.base_field
            if isinstance(base, (ReferenceField, EmbeddedDocumentField)):
                items = _raw_value(document, field)
                if not isinstance(items, list):
                    continue
                for index, item in enumerate(items):
                    if isinstance(base, ReferenceField):
                        yield items, index, base
                    elif item is not None:
                        yield from _slots(item, None)
        elif isinstance(field, EmbeddedDocumentField):
            embedded = _raw_value(document, field)
            if embedded is not None and embedded is not MISSING:
                yield from _slots(embedded, None)


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
    loaded: dict[tuple[type, Any], Document] = {}
    for document in documents:
        identifier = document._values.get("_id") or document._raw.get("_id")
        if identifier is not None:
            loaded[(type(document), identifier)] = document
    level: Sequence[Document] = documents
    names = fields
    aliases: dict[tuple[type[Document], str | None], str] = {}
    while level:
        pending: dict[tuple[type[Document], str], set[ObjectId]] = defaultdict(set)
        slots: list[_Slot] = []
        for document in level:
            for slot in _slots(document, names):
                container, key, field = slot
                value = container[key]
                if isinstance(value, ObjectId):
                    slots.append(slot)
                    reference_type = field.reference_type
                    if (reference_type, value) not in loaded:
                        alias_key = (reference_type, document._alias)
                        alias = aliases.get(alias_key)
                        if alias is None:
                            alias = aliases[alias_key] = resolve_alias(
                                reference_type, reference_type.__alias__ or document._alias
                            )
                        pending[(reference_type, alias)].add(value)
        next_level: list[Document] = []
        for (reference_type, alias), ids in pending.items():
            _, collection = collection_for(reference_type, alias)
            found = await collection.find({"_id": {"$in": list(ids)}}).to_list(None)
            for instance in reference_type.hydrate(found, alias=alias):
                loaded[(reference_type, instance._raw["_id"])] = instance
                if not reference_type.__lazy__:
                    next_level.append(instance)
        for container, key, field in slots:
            identifier = container[key]
            container[key] = loaded.get((field.reference_type, identifier)) or DanglingReference(
                identifier
            )
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
