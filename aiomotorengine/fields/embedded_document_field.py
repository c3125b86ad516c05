"""``EmbeddedDocumentField``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from aiomotorengine.base.document import BaseDocument
from aiomotorengine.base.fields import BaseField, FieldOptions
from aiomotorengine.base.registry import get_document
from aiomotorengine.errors import InvalidDocumentError, InvalidQueryError, describe_value

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["EmbeddedDocumentField"]

E = TypeVar("E", bound=BaseDocument)
V = TypeVar("V", bound=BaseDocument | None)


class EmbeddedDocumentField(BaseField[V]):
    """A sub-document described by an ``EmbeddedDocument`` (or ``Document``) class, given as
    the class or its name. Changes inside it are saved as dotted ``$set`` paths::

        address = EmbeddedDocumentField(Address)
        comments = ListField(EmbeddedDocumentField("Comment"))
    """

    holds_documents = True

    @overload
    def __init__(
        self: EmbeddedDocumentField[E],
        embedded_document_type: type[E],
        *,
        required: Literal[True],
        default: E | Callable[[], E] | None = None,
        **options: Unpack[FieldOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: EmbeddedDocumentField[E],
        embedded_document_type: type[E],
        *,
        required: bool = False,
        default: E | Callable[[], E],
        **options: Unpack[FieldOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: EmbeddedDocumentField[E | None],
        embedded_document_type: type[E],
        *,
        required: bool = False,
        default: None = None,
        **options: Unpack[FieldOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: EmbeddedDocumentField[Any],
        embedded_document_type: str,
        *,
        required: bool = False,
        default: Any = None,
        **options: Unpack[FieldOptions],
    ) -> None: ...

    def __init__(
        self, embedded_document_type: type[BaseDocument] | str, *args: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._embedded_type = embedded_document_type

    if TYPE_CHECKING:

        def __set__(self, instance: Any, value: V | dict[str, Any]) -> None:
            """Also takes a dict of the embedded document's fields."""

    @property
    def embedded_type(self) -> type[BaseDocument]:
        """The embedded document class (a name is resolved on first use, preferring a class
        of that name in the module that declares the field)."""
        if isinstance(self._embedded_type, str):
            resolved = get_document(self._embedded_type, self.owner_module)
            self._embedded_type = resolved
        return self._embedded_type  # type: ignore[return-value]

    def declaration_problem(self) -> tuple[Any, str] | None:
        declared = self._embedded_type
        if isinstance(declared, str) or (
            isinstance(declared, type) and issubclass(declared, BaseDocument)
        ):
            return None
        return declared, (
            f"EmbeddedDocumentField takes an EmbeddedDocument class or its name, got {declared!r}"
        )

    def describe(self) -> str:
        name = self._embedded_type
        return f"a {name if isinstance(name, str) else name.__name__} instance"

    def validate(self, value: Any) -> bool:
        return value is None or isinstance(value, self.embedded_type)

    def check(self, instance: Any, value: Any) -> Any:
        """A dict builds the embedded document as ``from_dict`` does (a key the embedded model
        does not declare is refused; its bad fields reported under this field's path,
        ``address.zip``); an embedded document is validated as a whole."""
        dict_keys = isinstance(value, dict) and all(isinstance(key, str) for key in value)
        if type(value) is not self._embedded_type and not dict_keys:
            value = super().check(instance, value)  # any other type: refused, named as ours
        try:
            if dict_keys:
                value = self.embedded_type.from_dict(value)
            value._validate(all_fields=not value._state.persisted)
        except InvalidDocumentError as error:
            model = type(instance).__name__ if instance is not None else self.owner_name
            raise error.nested(model, self.name) from None
        return value

    def to_son(self, value: Any) -> Any:
        return value.to_son()

    def inline_son(self, value: str, field: str) -> str:
        if type(self).to_son is EmbeddedDocumentField.to_son:
            return f"{value}.to_son()"
        return super().inline_son(value, field)

    def to_primitive(self, value: Any, json: bool) -> Any:
        return value.to_dict(json=json)

    def value_schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        return self.embedded_type.embedded_schema(definitions)

    def value_bson_schema(self, expanding: set[Any]) -> dict[str, Any]:
        return self.embedded_type.object_bson_schema(expanding)

    def from_son(self, value: Any) -> Any:
        if not isinstance(value, dict):
            return value  # stored data of another shape reads as stored
        return self.embedded_type.from_son(value)

    def to_query(self, value: Any) -> Any:
        if isinstance(value, self.embedded_type):
            return value.to_son()
        if value is None:
            return None
        raise InvalidQueryError(
            f"a filter value must be {self.describe()}, got "
            f"{describe_value(value)} (filter on sub-fields with {self.name}__<field>, or pass "
            f"a raw query dict)"
        )

    def embedded_document(self) -> type[BaseDocument]:
        return self.embedded_type
