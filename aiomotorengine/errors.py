"""The one exception hierarchy of aiomotorengine.

Every message names what went wrong in terms of the user's model: the model, the field and the
offending value. Credentials and password values never appear in a message.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AioMotorEngineError",
    "BatchInterruptedError",
    "ConcurrentModificationError",
    "ConnectionError",
    "DocumentDeletedError",
    "FieldNotLoadedError",
    "IndexDeclarationError",
    "InvalidDocumentError",
    "InvalidQueryError",
    "LoadReferencesRequiredError",
    "MultipleObjectsReturned",
    "TransactionError",
    "UniqueKeyViolationError",
]

# How much of an offending value a message shows.
_MAX_VALUE_REPR = 120


def describe_value(value: Any) -> str:
    """A short, safe representation of a user value for an error message."""
    text = repr(value)
    if len(text) > _MAX_VALUE_REPR:
        text = text[: _MAX_VALUE_REPR - 3] + "..."
    return text


class AioMotorEngineError(Exception):
    """Base class of every error raised by aiomotorengine itself."""


class ConnectionError(AioMotorEngineError):
    """A connection alias is unknown, misconfigured or registered twice with other settings."""


class InvalidDocumentError(AioMotorEngineError, ValueError):
    """A document or a field value failed validation; nothing was written.

    ``model``, ``field`` and ``value`` say what failed (``value`` is ``None`` for secrets).
    ``errors`` maps the path of every invalid field (``"age"``, ``"address.zip"``) to its
    message: a document with three bad fields reports all three at once.
    """

    def __init__(
        self,
        message: str,
        *,
        model: str | None = None,
        field: str | None = None,
        value: Any = None,
        errors: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.model = model
        self.field = field
        self.value = value
        self.errors: dict[str, str] = (
            errors if errors is not None else ({field: message} if field is not None else {})
        )

    @classmethod
    def combine(cls, model: str, failures: list[InvalidDocumentError]) -> InvalidDocumentError:
        """One error for every failure of one document (the first names ``field``/``value``)."""
        if len(failures) == 1:
            return failures[0]
        errors: dict[str, str] = {}
        for failure in failures:
            for path, message in failure.errors.items():
                errors.setdefault(path, message)  # the first (most specific) report wins
        first = failures[0]
        return cls(
            f"{model}: {len(errors)} invalid fields: " + "; ".join(errors.values()),
            model=model,
            field=first.field,
            value=first.value,
            errors=errors,
        )

    def nested(self, model: str, field: str) -> InvalidDocumentError:
        """This error of an embedded document, as an error of ``model.field`` that holds it."""
        return InvalidDocumentError(
            f"{model}.{field}: {self}",
            model=model,
            field=field,
            value=self.value,
            errors={f"{field}.{path}": message for path, message in self.errors.items()},
        )


class IndexDeclarationError(AioMotorEngineError, TypeError):
    """A model's index declaration names an unknown field or has a bad option."""


class InvalidQueryError(AioMotorEngineError, ValueError):
    """A filter, sort or projection names an unknown field or operator, or has a bad value."""


class FieldNotLoadedError(AioMotorEngineError, AttributeError):
    """A field was read that the query's projection (``only``/``exclude``) did not load."""


class LoadReferencesRequiredError(AioMotorEngineError, AttributeError):
    """A lazy reference was read before ``await doc.load_references()`` loaded it."""


class MultipleObjectsReturned(AioMotorEngineError, LookupError):
    """``get()`` matched more than one document."""


class DocumentDeletedError(AioMotorEngineError, LookupError):
    """``save()`` or ``reload()`` of a document whose database copy no longer exists."""


class BatchInterruptedError(AioMotorEngineError):
    """A ``BatchQuery`` could not send all its writes: a connection dropped or the server
    failed a command, and the driver's retry (if the writes could be retried) failed too.

    ``applied`` writes were acknowledged; ``unknown`` were sent but their outcome is unknown
    (each applied at most once: a batch never sends a write again); ``unsent`` were never sent.
    The driver's error is the ``__cause__``.
    """

    def __init__(self, message: str, *, applied: int = 0, unknown: int = 0, unsent: int = 0):
        super().__init__(message)
        self.applied = applied
        self.unknown = unknown
        self.unsent = unsent


class ConcurrentModificationError(AioMotorEngineError):
    """``save()`` of a document of a versioned model (``__versioned__ = True``) that another
    writer saved since this copy was loaded; nothing was written. Reload it and apply the
    change again. ``model``, ``document_id``, ``expected_version`` (this copy's) and
    ``stored_version`` (``None`` when not known) say which::

        try:
            await page.save()
        except ConcurrentModificationError:
            await page.reload()
    """

    def __init__(
        self,
        message: str,
        *,
        model: str,
        document_id: Any,
        expected_version: int | None,
        stored_version: int | None = None,
    ) -> None:
        super().__init__(message)
        self.model = model
        self.document_id = document_id
        self.expected_version = expected_version
        self.stored_version = stored_version


class TransactionError(AioMotorEngineError):
    """A transaction was used where it cannot run (from a task started inside its block) or was
    rolled back because a nested block that joined it raised."""


class UniqueKeyViolationError(AioMotorEngineError, ValueError):
    """A write would duplicate a value of a unique index (server error code 11000)."""

    def __init__(
        self,
        message: str,
        *,
        model: str | None = None,
        fields: tuple[str, ...] = (),
        key_value: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.model = model
        self.fields = fields
        self.key_value = key_value or {}
