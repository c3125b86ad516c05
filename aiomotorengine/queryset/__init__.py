"""Query execution: querysets, single-document persistence, references, batches, indexes."""

from aiomotorengine.queryset.batch import BatchQuery
from aiomotorengine.queryset.indexes import ensure_indexes
from aiomotorengine.queryset.persistence import delete_document, reload_document, save_document
from aiomotorengine.queryset.queryset import QuerySet, UpdateResult, require_alias
from aiomotorengine.queryset.references import LoadedReferences, load_references

__all__ = [
    "BatchQuery",
    "LoadedReferences",
    "QuerySet",
    "UpdateResult",
    "delete_document",
    "ensure_indexes",
    "load_references",
    "reload_document",
    "require_alias",
    "save_document",
]
