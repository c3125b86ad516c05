"""Ambient transactions: a session and a transaction bound to the task that opens the block.

``async with transaction():`` starts a multi-document transaction on a connection and records it
in a ``contextvars`` mapping (alias -> :class:`Transaction`), so that every ODM operation of that
task on that connection runs in it without a session being passed. Other tasks never see it.
The queryset layer asks :func:`current_transaction` for the session of each driver call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar, Token
from types import TracebackType
from typing import Any, TypeVar

from pymongo.asynchronous.client_session import AsyncClientSession

from aiomotorengine.connection.concerns import (
    ReadConcernOption,
    ReadPreferenceOption,
    WriteConcernOption,
    read_concern_option,
    read_preference_option,
    write_concern_option,
)
from aiomotorengine.connection.registry import get_connection, resolve_alias
from aiomotorengine.errors import TransactionError

__all__ = [
    "Transaction",
    "TransactionBlock",
    "current_transaction",
    "run_in_transaction",
    "transaction",
]

T = TypeVar("T")

_open: ContextVar[Mapping[str, Transaction]] = ContextVar(
    "aiomotorengine_transactions",
    default={},  # noqa: B039 - never mutated: a block sets a new mapping
)


class Transaction:
    """The transaction open on one connection, which the operations of its task join.

    ``on_rollback()`` registers how to undo what the ODM changed in memory (a document marked
    saved by a write the rollback discards); the undos run when the transaction rolls back.
    """

    __slots__ = ("_undo", "active", "alias", "failed", "owner", "session")

    def __init__(
        self, alias: str, session: AsyncClientSession, owner: asyncio.Task[Any] | None
    ) -> None:
        self.alias = alias
        self.session = session
        self.owner = owner
        self.active = True
        #: What an inner block that joined this transaction raised: it must roll back.
        self.failed: str | None = None
        self._undo: dict[int, Callable[[], None]] = {}

    def remembers(self, key: int) -> bool:
        """Whether an undo is registered under ``key``."""
        return key in self._undo

    def on_rollback(self, key: int, undo: Callable[[], None]) -> None:
        """Call ``undo`` if the transaction rolls back; the first undo per ``key`` wins."""
        self._undo.setdefault(key, undo)

    def rolled_back(self) -> None:
        """The transaction was aborted: undo, latest first (once)."""
        undo, self._undo = self._undo, {}
        for callback in reversed(list(undo.values())):
            callback()

    def committed(self) -> None:
        """The transaction was committed: nothing to undo."""
        self._undo = {}


def current_transaction(alias: str) -> Transaction | None:
    """The transaction this task has open on connection ``alias``, or ``None``.

    A task started inside a transaction block inherits its context, but may not use the
    transaction while the block is open (a session runs one operation at a time): that raises
    ``TransactionError``. Once the block is over, such a task runs outside any transaction.
    """
    transaction = _open.get().get(alias)
    if transaction is None or not transaction.active:
        return None
    if asyncio.current_task() is not transaction.owner:
        raise TransactionError(
            f"connection {alias!r} has a transaction open in another task; this task was "
            f"started inside that transaction's block and cannot run in it (a transaction runs "
            f"its operations one at a time, in its own task). Await the operation in the "
            f"block's task (not through gather(), create_task() or, before Python 3.12, "
            f"wait_for()), or start this task outside the block"
        )
    return transaction


def _transaction_options(
    read_concern: ReadConcernOption | None,
    write_concern: WriteConcernOption | None,
    read_preference: ReadPreferenceOption | None,
    max_commit_time_ms: int | None,
    where: str,
) -> dict[str, Any]:
    return {
        "read_concern": None if read_concern is None else read_concern_option(read_concern, where),
        "write_concern": (
            None if write_concern is None else write_concern_option(write_concern, where)
        ),
        "read_preference": (
            None if read_preference is None else read_preference_option(read_preference, where)
        ),
        "max_commit_time_ms": max_commit_time_ms,
    }


class TransactionBlock:
    """What :func:`transaction` returns: an ``async with`` block that yields the session."""

    def __init__(self, connection: str | None, options: dict[str, Any]) -> None:
        self._connection = connection
        self._options = options
        self._transaction: Transaction | None = None
        self._joined = False
        self._token: Token[Mapping[str, Transaction]] | None = None

    async def __aenter__(self) -> AsyncClientSession:
        alias = self._connection or resolve_alias()
        outer = current_transaction(alias)
        if outer is not None:
            self._transaction, self._joined = outer, True
            return outer.session
        session = get_connection(alias).client.start_session()
        try:
            await session.start_transaction(**self._options)
        except BaseException:
            await session.end_session()
            raise
        transaction = Transaction(alias, session, asyncio.current_task())
        self._transaction = transaction
        self._token = _open.set({**_open.get(), alias: transaction})
        return session

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        transaction = self._transaction
        if transaction is None:
            return
        if self._joined:
            if exc_type is not None and transaction.failed is None:
                transaction.failed = exc_type.__name__
            return
        if self._token is not None:
            _open.reset(self._token)
        transaction.active = False
        session = transaction.session
        try:
            if exc_type is None and transaction.failed is None:
                try:
                    await session.commit_transaction()
                except BaseException:
                    transaction.rolled_back()
                    raise
                transaction.committed()
                return
            if session.in_transaction:
                await session.abort_transaction()
            transaction.rolled_back()
            if exc_type is None:
                raise TransactionError(_failed_message(transaction))
        finally:
            await session.end_session()


def _failed_message(transaction: Transaction) -> str:
    return (
        f"the transaction on connection {transaction.alias!r} was rolled back: a nested "
        f"transaction block that joined it raised {transaction.failed}, so its writes could "
        f"not all be committed"
    )


def transaction(
    connection: str | None = None,
    *,
    read_concern: ReadConcernOption | None = None,
    write_concern: WriteConcernOption | None = None,
    read_preference: ReadPreferenceOption | None = None,
    max_commit_time_ms: int | None = None,
) -> TransactionBlock:
    """A multi-document transaction on ``connection`` (``None``: the connection in force, as
    for queries) for the block: every ODM read and write of this task on that connection runs
    in it, without a session being passed. It commits when the block ends and aborts when the
    block raises; documents saved in it then read as before the block. A nested block (or
    ``run_in_transaction``, or a transactional ``BatchQuery``) joins the open transaction; if
    the nested block raises, the whole transaction rolls back. Other tasks never see it::

        async with transaction():
            order = await Order.objects.get(number=42)
            order.status = "paid"
            await order.save()
            await Payment.objects.create(order=order, amount=order.total)

    The block yields the driver's session, for raw driver calls (``session=``). The concerns
    and read preference given apply to the whole transaction. Use :func:`run_in_transaction`
    to retry on transient errors (failover, write conflicts).
    """
    options = _transaction_options(
        read_concern, write_concern, read_preference, max_commit_time_ms, "transaction()"
    )
    return TransactionBlock(connection, options)


async def run_in_transaction(
    function: Callable[[], Awaitable[T]],
    connection: str | None = None,
    *,
    read_concern: ReadConcernOption | None = None,
    write_concern: WriteConcernOption | None = None,
    read_preference: ReadPreferenceOption | None = None,
    max_commit_time_ms: int | None = None,
) -> T:
    """Run ``await function()`` in a transaction on ``connection`` and return its result, with
    PyMongo's ``with_transaction`` rules: an error labelled ``TransientTransactionError``
    (a write conflict, a failover) runs ``function`` again in a new transaction, a commit with
    an unknown result (``UnknownTransactionCommitResult``) is retried, for up to 120 seconds.
    ``function`` may run more than once, so keep side effects other than ODM operations out of
    it; documents it saved read as before each retry. Inside an open transaction it joins it
    and runs once::

        async def transfer() -> None:
            source = await Account.objects.get(number=1)
            source.balance -= 10
            await source.save()
            await Account.objects.filter(number=2).update(inc__balance=10)

        await run_in_transaction(transfer)
    """
    where = "run_in_transaction()"
    options = _transaction_options(
        read_concern, write_concern, read_preference, max_commit_time_ms, where
    )
    alias = connection or resolve_alias()
    if current_transaction(alias) is not None:
        async with TransactionBlock(alias, options):
            return await function()
    owner = asyncio.current_task()
    attempts: list[Transaction] = []

    async def attempt(session: AsyncClientSession) -> T:
        if attempts:  # the previous attempt was rolled back
            attempts.pop().rolled_back()
        transaction = Transaction(alias, session, owner)
        attempts.append(transaction)
        token = _open.set({**_open.get(), alias: transaction})
        try:
            result = await function()
        finally:
            _open.reset(token)
            transaction.active = False
        if transaction.failed is not None:
            raise TransactionError(_failed_message(transaction))
        return result

    async with get_connection(alias).client.start_session() as session:
        try:
            return await session.with_transaction(attempt, **options)
        except BaseException:
            if attempts:
                attempts.pop().rolled_back()
            raise
