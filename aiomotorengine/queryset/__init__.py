"""Query execution: querysets, single-document persistence, references, batches."""

from aiomotorengine.queryset.batch import BatchQuery
from aiomotorengine.queryset.persistence import delete_document, reload_document, save_document
from aiomotorengine.queryset.queryset import QuerySet, UpdateResult
from aiomotorengine.queryset.references import load_references

__all__ = [
    "BatchQuery",
    "QuerySet",
    "UpdateResult",
    "delete_document",
    "load_references",
    "reload_document",
    "save_document",
]
