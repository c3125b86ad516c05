"""Creating the indexes a model declares, on the collection its queries use."""

from __future__ import annotations

from pymongo.errors import OperationFailure

from aiomotorengine.base.document import CollectionDocument
from aiomotorengine.query.indexes import index_models
from aiomotorengine.queryset.driver_errors import index_build_violation, is_duplicate_key
from aiomotorengine.queryset.persistence import collection_for

__all__ = ["ensure_indexes"]


async def ensure_indexes(document: type[CollectionDocument], alias: str | None = None) -> int:
    """Create the indexes ``document`` declares on its collection (on ``alias``, else the
    connection its queries use). Idempotent; returns how many indexes the model declares, all
    of which exist afterwards::

        count = await ensure_indexes(User)          # or: await User.ensure_index()

    Stored duplicates of a unique key raise ``UniqueKeyViolationError``. An existing index with
    the same keys but other options raises the driver's ``OperationFailure`` (drop it first to
    change it).
    """
    models = index_models(document)
    if not models:
        return 0
    _, collection = collection_for(document, alias)
    try:
        await collection.create_indexes(models)
    except OperationFailure as error:
        if is_duplicate_key(error):
            raise index_build_violation(document, error) from None
        raise
    return len(models)
