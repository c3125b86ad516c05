"""The one place that translates driver errors a caller can act on: duplicate keys (server
code 11000), from a write or from building a unique index over stored duplicates, become
``UniqueKeyViolationError`` naming the model, the fields and the values; a document over the
server's size limit, or one holding a value BSON cannot encode (an int beyond 64 bits, a set in
an untyped field), becomes ``InvalidDocumentError`` naming the field, before anything is sent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import bson
from bson.codec_options import CodecOptions
from bson.errors import InvalidDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure, PyMongoError

from aiomotorengine.base.document import BaseDocument
from aiomotorengine.base.fields import BaseField
from aiomotorengine.errors import InvalidDocumentError, UniqueKeyViolationError, describe_value

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "UNENCODABLE",
    "attribute_path",
    "document_too_large",
    "encoded",
    "encoded_all",
    "index_build_violation",
    "is_duplicate_key",
    "unencodable",
    "unique_key_violation",
]

#: What BSON encoding raises for a value it cannot hold.
UNENCODABLE = (OverflowError, InvalidDocument)

_DUPLICATE_KEY = 11000
#: MongoDB's limit on one document (``maxBsonObjectSize``), fixed since MongoDB 1.8.
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024


def is_duplicate_key(error: PyMongoError) -> bool:
    """Whether ``error`` (a single or bulk write error, or a failed index build) reports a
    duplicate key."""
    if isinstance(error, DuplicateKeyError):
        return True
    if isinstance(error, BulkWriteError):
        write_errors = (error.details or {}).get("writeErrors") or []
        return any(entry.get("code") == _DUPLICATE_KEY for entry in write_errors)
    if isinstance(error, OperationFailure):
        # An index build aborted by stored duplicates carries their key even under another code.
        return error.code == _DUPLICATE_KEY or "keyValue" in (error.details or {})
    return False


def unique_key_violation(
    document: type[BaseDocument], error: OperationFailure
) -> UniqueKeyViolationError:
    """``UniqueKeyViolationError`` for a write that duplicates a unique key, naming the model
    and fields (attribute names, dotted into embedded documents), from the server's structured
    error (``keyPattern``/``keyValue``), never from its message text."""
    fields, key_value, shown = _duplicate(document, error)
    names = ", ".join(fields) or "a unique index"
    return UniqueKeyViolationError(
        f"{document.__name__}: another document already has this value for {names}{shown}",
        model=document.__name__,
        fields=fields,
        key_value=key_value,
    )


def index_build_violation(
    document: type[BaseDocument], error: OperationFailure
) -> UniqueKeyViolationError:
    """``UniqueKeyViolationError`` for a unique index that cannot be built because stored
    documents already share a key (named as in :func:`unique_key_violation`)."""
    fields, key_value, shown = _duplicate(document, error)
    names = ", ".join(fields) or "a unique index"
    return UniqueKeyViolationError(
        f"{document.__name__}: cannot create the unique index on {names}: stored documents "
        f"already share a value{shown}; remove the duplicates, then retry",
        model=document.__name__,
        fields=fields,
        key_value=key_value,
    )


def _duplicate(
    document: type[BaseDocument], error: OperationFailure
) -> tuple[tuple[str, ...], dict[str, Any], str]:
    """The fields, the duplicated key value and its ``" (name=value)"`` text, from the
    server's ``keyPattern``/``keyValue``."""
    details: Mapping[str, Any] = error.details or {}
    if isinstance(error, BulkWriteError):
        write_errors = details.get("writeErrors") or [{}]
        details = next(
            (entry for entry in write_errors if entry.get("code") == _DUPLICATE_KEY),
            write_errors[0],
        )
    key_pattern = details.get("keyPattern") or {}
    key_value = details.get("keyValue") or {}
    fields = tuple(attribute_path(document, key)[0] for key in (key_pattern or key_value))
    shown = []
    for key, value in key_value.items():
        name, field = attribute_path(document, key)
        shown.append(f"{name}={field.safe_repr(value) if field else describe_value(value)}")
    return fields, dict(key_value), f" ({', '.join(shown)})" if shown else ""


def document_too_large(
    document: type[BaseDocument], son: Mapping[str, Any]
) -> InvalidDocumentError:
    """``InvalidDocumentError`` for a document (or ``$set``) over MongoDB's size limit,
    naming its largest top-level field and that field's size."""
    sizes = {key: len(bson.encode({"v": value})) for key, value in son.items()}
    largest = max(sizes, key=sizes.__getitem__) if sizes else "_id"
    name, _ = attribute_path(document, largest)
    model = document.__name__
    return InvalidDocumentError(
        f"{model}.{name}: the document is larger than MongoDB's limit of "
        f"{MAX_DOCUMENT_BYTES:,} bytes "
        f"({name} alone takes {sizes.get(largest, 0):,}); nothing was written",
        model=model,
        field=name,
    )


def encoded(
    document: type[BaseDocument],
    son: Mapping[str, Any],
    codec_options: CodecOptions[Any],
    payload: Mapping[str, Any] | None = None,
) -> bytes:
    """The BSON of ``payload`` (``son``, the values it writes, by default), or
    ``InvalidDocumentError`` when it cannot be stored: over MongoDB's size limit, or holding a
    value BSON cannot encode. Refused here, before anything is sent."""
    return encoded_all(document, [son], codec_options, None if payload is None else [payload])[0]


def encoded_all(
    document: type[BaseDocument],
    sons: Sequence[Mapping[str, Any]],
    codec_options: CodecOptions[Any],
    payloads: Sequence[Mapping[str, Any]] | None = None,
) -> list[bytes]:
    """:func:`encoded` of each of ``sons`` (a bulk insert), in one loop."""
    encode = bson.encode
    result = []
    for index, son in enumerate(sons):
        try:
            data = encode(son if payloads is None else payloads[index], False, codec_options)
        except UNENCODABLE as error:
            raise unencodable(document, son, error) from None
        if len(data) > MAX_DOCUMENT_BYTES:
            raise document_too_large(document, son)
        result.append(data)
    return result


def unencodable(
    document: type[BaseDocument], son: Mapping[str, Any], error: Exception
) -> InvalidDocumentError:
    """``InvalidDocumentError`` for a document (or the values of an update) that BSON cannot
    encode, naming the first top-level field that fails and the driver's reason."""
    key = next((key for key, value in son.items() if not _encodes(value)), None)
    model = document.__name__
    if key is None:
        return InvalidDocumentError(
            f"{model}: the document cannot be stored ({error}); nothing was written", model=model
        )
    name, field = attribute_path(document, key)
    value = son[key]
    shown = field.safe_repr(value) if field else describe_value(value)
    return InvalidDocumentError(
        f"{model}.{name}: {shown} cannot be stored ({error}); nothing was written",
        model=model,
        field=name,
        value=value,
    )


def _encodes(value: Any) -> bool:
    try:
        bson.encode({"v": value})
    except UNENCODABLE:
        return False
    return True


def attribute_path(document: type[BaseDocument], db_path: str) -> tuple[str, BaseField[Any] | None]:
    """A stored path as attribute names, and the field at its end: ``"address.c"`` ->
    ``("address.code", field)``; unknown parts are kept as they are (the field is then
    ``None``)."""
    names: list[str] = []
    by_db_field: Mapping[str, BaseField[Any]] | None = document._fields_by_db_field
    field: BaseField[Any] | None = None
    for part in db_path.split("."):
        field = by_db_field.get(part) if by_db_field is not None else None
        if field is None:
            names.append(part)
            by_db_field = None
            continue
        names.append(field.name)
        sub_fields = field.sub_fields()
        by_db_field = (
            {sub.db_field: sub for sub in sub_fields.values()} if sub_fields is not None else None
        )
    return ".".join(names), field
