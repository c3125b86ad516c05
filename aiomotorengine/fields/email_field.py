"""``EmailField``."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, overload

from aiomotorengine.base.fields import FieldOptions
from aiomotorengine.fields.string_field import StringField, V

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["EmailField"]

_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


class EmailField(StringField[V]):
    """An e-mail address (``local@domain.tld``)."""

    if TYPE_CHECKING:  # StringField's signatures, for this class's own type parameter

        @overload
        def __init__(
            self: EmailField[str],
            max_length: int | None = None,
            *,
            required: Literal[True],
            default: str | Callable[[], str] | None = None,
            **options: Unpack[FieldOptions],
        ) -> None: ...

        @overload
        def __init__(
            self: EmailField[str],
            max_length: int | None = None,
            *,
            required: bool = False,
            default: str | Callable[[], str],
            **options: Unpack[FieldOptions],
        ) -> None: ...

        @overload
        def __init__(
            self: EmailField[str | None],
            max_length: int | None = None,
            *,
            required: bool = False,
            default: None = None,
            **options: Unpack[FieldOptions],
        ) -> None: ...

        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    def validate(self, value: Any) -> bool:
        return super().validate(value) and (value is None or bool(_EMAIL.match(value)))

    def describe(self) -> str:
        return "an e-mail address"

    def value_schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        return {**super().value_schema(definitions), "format": "email"}
