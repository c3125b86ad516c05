"""Query execution: querysets, single-document persistence, references, batches, bound models,
indexes."""

from aiomotorengine.queryset.batch import BatchedDocument, BatchQuery
from aiomotorengine.queryset.context import ContextQuery
from aiomotorengine.queryset.indexes import ensure_indexes
from aiomotorengine.queryset.persistence import delete_document, reload_document, save_document
from aiomotorengine.queryset.queryset import QuerySet, UpdateResult, require_place
from aiomotorengine.queryset.references import LoadedReferences, load_references

__all__ = [
    "BatchQuery",
    "BatchedDocument",
    "ContextQuery",
    "LoadedReferences",
    "QuerySet",
    "UpdateResult",
    "delete_document",
    "ensure_indexes",
    "load_references",
    "reload_document",
    "require_place",
    "save_document",
]
