"""``ListField``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from aiomotorengine.base.fields import BaseField, FieldOptions

if TYPE_CHECKING:
    from typing_extensions import Self, Unpack

__all__ = ["ListField"]

T = TypeVar("T")


class ListField(BaseField[list[T]], Generic[T]):
    """A list whose items are described by ``base_field``; in-place changes
    (``doc.tags.append("x")``) are saved. The default is an empty list::

        tags = ListField(StringField(max_length=20))

    In filters, a list value means "contains all of these" (``$all``) and a single value means
    "contains this one".

    ``T`` is the type of an item, that of the item field without ``None``: a
    ``ListField(StringField())`` is a ``ListField[str]`` and reads ``list[str]``.
    """

    python_types = (list,)
    takes_list_updates = True

    @overload
    def __init__(
        self,
        base_field: BaseField[T | None],
        *,
        required: bool = False,
        default: list[T] | Callable[[], list[T]] = ...,
        **options: Unpack[FieldOptions],
    ) -> None: ...

    @overload
    def __init__(
        self,
        base_field: BaseField[T],
        *,
        required: bool = False,
        default: list[T] | Callable[[], list[T]] = ...,
        **options: Unpack[FieldOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: ListField[Any],
        base_field: None = None,
        *,
        required: bool = False,
        default: list[Any] | Callable[[], list[Any]] = ...,
        **options: Unpack[FieldOptions],
    ) -> None: ...

    def __init__(self, base_field: BaseField[Any] | None = None, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", list)
        super().__init__(*args, **kwargs)
        # Anything but a field instance is reported when the model class is created.
        self._declared_item = base_field
        if not isinstance(base_field, BaseField):
            base_field = None
        self.base_field: BaseField[Any] = base_field if base_field is not None else BaseField()
        self._identity_items = self.base_field.is_identity
        self.holds_documents = self.base_field.holds_documents  # type: ignore[misc]
        self.holds_references = self.base_field.holds_references  # type: ignore[misc]
        self.secret = self.base_field.secret  # type: ignore[misc]  # a list of passwords is one

    @overload
    def __get__(self, instance: None, owner: type) -> Self: ...

    @overload
    def __get__(self, instance: object, owner: type) -> list[T]: ...

    def __get__(self, instance: object | None, owner: type) -> Self | list[T]:
        value = super().__get__(instance, owner)
        if instance is not None and self.holds_references and value:
            check_loaded = self.base_field.check_loaded
            for item in value:
                check_loaded(instance, item)
        return value

    if TYPE_CHECKING:

        def __set__(self, instance: Any, value: list[T] | tuple[T, ...]) -> None:
            """Also takes a tuple (stored as a list)."""

    def __set_name__(self, owner: type, name: str) -> None:
        super().__set_name__(owner, name)
        self.base_field.__set_name__(owner, name)
        # The exact types of items check() keeps as they are (for the inline check).
        self._item_types = frozenset((*self.base_field.fast_types, type(None)))

    def check(self, instance: Any, value: Any) -> Any:
        if isinstance(value, tuple):
            value = list(value)
        if not isinstance(value, list):
            raise self.invalid(instance, value)
        # Checked in place: the list the document holds stays the list the caller holds, so
        # ``tags = doc.tags; tags.append(x)`` is seen by the next save.
        base = self.base_field
        fast = base.fast_types
        check = base.check
        for index, item in enumerate(value):
            if item is None or type(item) in fast:
                continue
            checked = check(instance, item)
            if checked is not item:
                value[index] = checked
        return value

    def validate(self, value: Any) -> bool:
        if value is None:
            return True
        if not isinstance(value, list):
            return False
        return all(self.base_field.validate(item) for item in value)

    def describe(self) -> str:
        return f"a list of {self.base_field.describe()}"

    def safe_repr(self, value: Any) -> str:
        return self.base_field.safe_repr(value) if self.secret else super().safe_repr(value)

    def is_empty(self, value: Any) -> bool:
        # A stored value of another shape is no empty list: check() then reports it by name.
        return value is None or (isinstance(value, (list, tuple)) and len(value) == 0)

    def from_primitive(self, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        from_primitive = self.base_field.from_primitive
        return [from_primitive(item) for item in value]

    def to_primitive(self, value: Any, json: bool) -> Any:
        to_primitive = self.base_field.to_primitive
        return [None if item is None else to_primitive(item, json) for item in value]

    def value_schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        items = self.base_field.json_schema(definitions)
        return {"type": "array", "items": {"anyOf": [items, {"type": "null"}]} if items else {}}

    def value_bson_schema(self, expanding: set[Any]) -> dict[str, Any]:
        schema: dict[str, Any] = {"bsonType": "array"}
        items = self.base_field.bson_schema(expanding)
        if items:
            schema["items"] = items
        if self.required:  # an empty list is no value
            schema["minItems"] = 1
        return schema

    def to_son(self, value: Any) -> Any:
        if self._identity_items:
            return list(value)
        to_son = self.base_field.to_son
        return [None if item is None else to_son(item) for item in value]

    def inline_check(self, value: str, field: str) -> str | None:
        # A list of items that are None or of the item field's fast types: check() keeps it.
        custom = self._custom_checks or type(self).check is not ListField.check
        if custom or not self.base_field.fast_types:
            return None
        return f"type({value}) is list and {field}._item_types.issuperset(map(type, {value}))"

    def inline_son(self, value: str, field: str) -> str:
        if self._identity_items and type(self).to_son is ListField.to_son:
            return f"list({value})"
        return super().inline_son(value, field)

    def inline_empty(self, value: str, field: str) -> str:
        if type(self).is_empty is not ListField.is_empty:
            return super().inline_empty(value, field)
        return f"(isinstance({value}, (list, tuple)) and len({value}) == 0)"

    def from_son(self, value: Any) -> Any:
        if type(value) is not list:
            return value  # stored data of another shape reads as stored, never reshaped
        if self._identity_items:
            return list(value)
        from_son = self.base_field.from_son
        return [None if item is None else from_son(item) for item in value]

    def to_query(self, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return [self.base_field.to_query(item) for item in value]
        return self.base_field.to_query(value)

    def accepts_container(self, value: Any) -> bool:
        return isinstance(value, (list, tuple))

    def element_field(self) -> BaseField[Any]:
        return self.base_field

    def declaration_problem(self) -> tuple[Any, str] | None:
        declared = self._declared_item
        if declared is None or isinstance(declared, BaseField):
            return self.base_field.declaration_problem()
        if isinstance(declared, type) and issubclass(declared, BaseField):
            return declared, (
                f"ListField takes a field instance, got the class {declared.__name__}: "
                f"write ListField({declared.__name__}())"
            )
        return declared, f"ListField takes a field instance such as StringField(), got {declared!r}"

    def inherit_strict(self, strict: bool) -> None:
        super().inherit_strict(strict)
        self.base_field.inherit_strict(strict)
