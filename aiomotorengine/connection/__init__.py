"""Named connections: one long-lived ``AsyncMongoClient`` per alias.

``connect()`` only records settings; the client is built on first use inside the running event
loop and rebuilt when the loop changes (a client is never shared across loops). Which alias a
query uses is decided by :func:`resolve_alias`: an explicit ``alias=``/``using()``, then a
per-model :func:`switch_connection`, the model's own ``__alias__``/``__connection__`` (that of a
model bound by ``ContextQuery`` included), a task-wide :func:`switch_connection`, and finally
the default alias. A ``register_connection(client=...)`` connection uses the caller's client
as it is.

The work is done in :mod:`~aiomotorengine.connection.registry` (aliases, default, switches),
:mod:`~aiomotorengine.connection.database` (the handle and its client),
:mod:`~aiomotorengine.connection.transactions` (ambient transactions, per task),
:mod:`~aiomotorengine.connection.concerns` (read preferences and concerns as users write them)
and :mod:`~aiomotorengine.connection.redaction` (secrets kept out of reprs and messages).
"""

from aiomotorengine.connection.concerns import (
    ReadConcernOption,
    ReadPreferenceOption,
    WriteConcernOption,
    read_concern_option,
    read_preference_option,
    write_concern_option,
)
from aiomotorengine.connection.database import Database
from aiomotorengine.connection.redaction import redact
from aiomotorengine.connection.registry import (
    DEFAULT_ALIAS,
    connect,
    declared_alias,
    disconnect,
    disconnect_all,
    get_connection,
    get_default_alias,
    register_connection,
    registered_aliases,
    resolve_alias,
    set_default_connection,
    switch_connection,
    unregister_connection,
)
from aiomotorengine.connection.transactions import (
    Transaction,
    TransactionBlock,
    current_transaction,
    run_in_transaction,
    transaction,
)

__all__ = [
    "DEFAULT_ALIAS",
    "Database",
    "ReadConcernOption",
    "ReadPreferenceOption",
    "Transaction",
    "TransactionBlock",
    "WriteConcernOption",
    "connect",
    "current_transaction",
    "declared_alias",
    "disconnect",
    "disconnect_all",
    "get_connection",
    "get_default_alias",
    "read_concern_option",
    "read_preference_option",
    "redact",
    "register_connection",
    "registered_aliases",
    "resolve_alias",
    "run_in_transaction",
    "set_default_connection",
    "switch_connection",
    "transaction",
    "unregister_connection",
    "write_concern_option",
]
