"""aiomotorengine: an asyncio object-document mapper for MongoDB on PyMongo's async API.

Declare models with ``Document`` and fields, ``connect()`` once, then query and save::

    >>> class User(Document):
    ...     name = StringField(required=True)
    ...     age = IntField()
    >>> connect("app", host="mongodb://localhost:27017/")
    >>> user = await User.objects.create(name="Ada", age=36)
"""

import importlib.metadata

from pymongo import ASCENDING, DESCENDING

from aiomotorengine.connection import (
    Database,
    connect,
    disconnect,
    get_connection,
    register_connection,
    run_in_transaction,
    set_default_connection,
    switch_connection,
    transaction,
    unregister_connection,
)
from aiomotorengine.document import (
    Document,
    EmbeddedDocument,
    TypedDocument,
    TypedEmbeddedDocument,
)
from aiomotorengine.errors import (
    AioMotorEngineError,
    BatchInterruptedError,
    ConcurrentModificationError,
    ConnectionError,
    DocumentDeletedError,
    FieldNotLoadedError,
    IndexDeclarationError,
    InvalidDocumentError,
    InvalidQueryError,
    LoadReferencesRequiredError,
    MultipleObjectsReturned,
    TransactionError,
    UniqueKeyViolationError,
)
from aiomotorengine.fields import (
    BaseField,
    BinaryField,
    BooleanField,
    DanglingReference,
    DateTimeField,
    DecimalField,
    EmailField,
    EmbeddedDocumentField,
    FloatField,
    HashedPassword,
    IntField,
    JsonField,
    LineStringField,
    ListField,
    ObjectIdField,
    PasswordField,
    PointField,
    PolygonField,
    ReferenceField,
    StringField,
    URLField,
    UUIDField,
)
from aiomotorengine.management import Index, ensure_indexes, sync_indexes
from aiomotorengine.query import Q
from aiomotorengine.queryset import BatchQuery, ContextQuery, QuerySet, UpdateResult
from aiomotorengine.queryset.aggregation import Aggregation
from aiomotorengine.queryset.streams import ChangeEvent, ChangeStream

try:  # the one source of truth is pyproject.toml, through the installed metadata
    __version__ = importlib.metadata.version("aiomotorengine-odm")
except importlib.metadata.PackageNotFoundError:  # a source tree on sys.path, never installed
    __version__ = "0+unknown"

__all__ = [
    "ASCENDING",
    "DESCENDING",
    "Aggregation",
    "AioMotorEngineError",
    "BaseField",
    "BatchInterruptedError",
    "BatchQuery",
    "BinaryField",
    "BooleanField",
    "ChangeEvent",
    "ChangeStream",
    "ConcurrentModificationError",
    "ConnectionError",
    "ContextQuery",
    "DanglingReference",
    "Database",
    "DateTimeField",
    "DecimalField",
    "Document",
    "DocumentDeletedError",
    "EmailField",
    "EmbeddedDocument",
    "EmbeddedDocumentField",
    "FieldNotLoadedError",
    "FloatField",
    "HashedPassword",
    "Index",
    "IndexDeclarationError",
    "IntField",
    "InvalidDocumentError",
    "InvalidQueryError",
    "JsonField",
    "LineStringField",
    "ListField",
    "LoadReferencesRequiredError",
    "MultipleObjectsReturned",
    "ObjectIdField",
    "PasswordField",
    "PointField",
    "PolygonField",
    "Q",
    "QuerySet",
    "ReferenceField",
    "StringField",
    "TransactionError",
    "TypedDocument",
    "TypedEmbeddedDocument",
    "URLField",
    "UUIDField",
    "UniqueKeyViolationError",
    "UpdateResult",
    "__version__",
    "connect",
    "disconnect",
    "ensure_indexes",
    "get_connection",
    "register_connection",
    "run_in_transaction",
    "set_default_connection",
    "switch_connection",
    "sync_indexes",
    "transaction",
    "unregister_connection",
]
