"""``DateTimeField``."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from aiomotorengine.base.fields import BaseField, FieldOptions

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["DateTimeField"]

V = TypeVar("V", bound=datetime.datetime | None)


def _utcnow() -> datetime.datetime:
    # Naive UTC: what PyMongo returns for stored dates by default, so the value on the
    # instance after a save equals the value a later load gives.
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class DateTimeField(BaseField[V]):
    """A ``datetime``. MongoDB keeps milliseconds, so values are truncated to milliseconds
    when assigned (what you read is what is stored). ISO 8601 strings (``"2024-05-01"``,
    ``"2024-05-01T12:30:00Z"``, 0.x's ``"2024-05-01 12:30:00"``) and dates convert.

    ``auto_now_on_insert`` sets the current UTC time when the document is inserted (if no value
    was given); ``auto_now_on_update`` sets it on every save. Both are naive UTC datetimes,
    as PyMongo loads dates by default. A loaded value reads back as stored; with
    ``connect(..., tz_aware=True)`` loaded values are timezone-aware (UTC)::

        created = DateTimeField(auto_now_on_insert=True)
        updated = DateTimeField(auto_now_on_update=True)
    """

    python_types = (datetime.datetime,)
    revalidate_on_save = False

    @overload
    def __init__(
        self: DateTimeField[datetime.datetime],
        auto_now_on_insert: bool = False,
        auto_now_on_update: bool = False,
        *,
        required: Literal[True],
        default: datetime.datetime | Callable[[], datetime.datetime] | None = None,
        **options: Unpack[FieldOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: DateTimeField[datetime.datetime],
        auto_now_on_insert: bool = False,
        auto_now_on_update: bool = False,
        *,
        required: bool = False,
        default: datetime.datetime | Callable[[], datetime.datetime],
        **options: Unpack[FieldOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: DateTimeField[datetime.datetime | None],
        auto_now_on_insert: bool = False,
        auto_now_on_update: bool = False,
        *,
        required: bool = False,
        default: None = None,
        **options: Unpack[FieldOptions],
    ) -> None: ...

    def __init__(
        self,
        auto_now_on_insert: bool = False,
        auto_now_on_update: bool = False,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.auto_now_on_insert = auto_now_on_insert
        self.auto_now_on_update = auto_now_on_update
        self._inline = (
            type(self).validate is BaseField.validate
            and type(self).coerce is DateTimeField.coerce
            and self._plain_checks
        )

    def check(self, instance: Any, value: Any) -> Any:
        # Inline for the common case (a datetime already at millisecond precision).
        if type(value) is datetime.datetime and self._inline and not value.microsecond % 1000:
            return value
        return super().check(instance, value)

    def inline_check(self, value: str, field: str) -> str | None:
        if not self._inline:
            return None
        return f"type({value}) is {field}.python_types[0] and not {value}.microsecond % 1000"

    def convert(self, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text[-1:] in ("Z", "z"):  # UTC, which fromisoformat reads only from 3.11
                text = text[:-1] + "+00:00"
            try:
                return datetime.datetime.fromisoformat(text)
            except ValueError:
                return value
        if type(value) is datetime.date:
            return datetime.datetime(value.year, value.month, value.day)
        return value

    def coerce(self, value: Any) -> Any:
        if isinstance(value, datetime.datetime) and value.microsecond % 1000:
            return value.replace(microsecond=value.microsecond - value.microsecond % 1000)
        return value

    def value_schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        return {"type": "string", "format": "date-time"}

    def value_bson_schema(self, expanding: set[Any]) -> dict[str, Any]:
        return {"bsonType": "date"}

    @property
    def has_save_hook(self) -> bool:
        return self.auto_now_on_insert or self.auto_now_on_update or self.on_save is not None

    def value_on_save(self, document: Any, value: Any, creating: bool) -> Any:
        if self.on_save is not None:
            value = self.on_save(document, creating)
        if self.auto_now_on_update or (creating and self.auto_now_on_insert and value is None):
            value = self.coerce(_utcnow())
        return value
