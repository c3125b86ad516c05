"""What the queryset layer's driver calls take from an ambient transaction.

Every driver call of a read or write passes ``session=session_for(place)``: the session of the
transaction this task has open on that connection (``async with transaction():``), else
``None``, the driver's own implicit session. Work the ODM does on its own behalf (creating
declared indexes) never asks, so it never runs inside a user's transaction. A write that marks
a document saved calls :func:`remember_state` first, so that a rollback leaves the document as
it was before the transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from aiomotorengine.base.document import CollectionDocument
from aiomotorengine.base.state import Place
from aiomotorengine.connection import current_transaction

__all__ = ["remember_state", "remember_states", "session_for"]


def session_for(place: Place) -> AsyncClientSession | None:
    """The session of the transaction open on ``place``'s connection in this task, or
    ``None``."""
    transaction = current_transaction(place.alias)
    return None if transaction is None else transaction.session


def remember_state(document: CollectionDocument, place: Place) -> None:
    """Before a write at ``place`` changes what ``document`` knows of its stored copy: inside a
    transaction, have a rollback restore it (the first write of the document in the transaction
    records it)."""
    remember_states((document,), place)


def remember_states(documents: Iterable[CollectionDocument], place: Place) -> None:
    """:func:`remember_state` for many documents written at ``place`` (one look-up of the
    transaction for all of them)."""
    transaction = current_transaction(place.alias)
    if transaction is None:
        return
    for document in documents:
        if not transaction.remembers(id(document)):
            snapshot = document._state.stored_snapshot()
            # The closure keeps the document alive, so its id() names no other document.
            transaction.on_rollback(id(document), _restorer(document, snapshot))


def _restorer(document: CollectionDocument, snapshot: tuple[Any, ...]) -> Callable[[], None]:
    return lambda: document._state.restore_stored(snapshot)
