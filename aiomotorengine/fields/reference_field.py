"""``ReferenceField``: a link to a document of another collection, stored as its ``_id``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from bson import DBRef, ObjectId
from bson.errors import InvalidId

from aiomotorengine.base.document import CollectionDocument
from aiomotorengine.base.fields import (
    MISSING,
    OBJECT_ID_SCHEMA,
    BaseField,
    FieldOptions,
    coerce_object_id,
)
from aiomotorengine.base.registry import get_document
from aiomotorengine.base.state import DocumentState
from aiomotorengine.errors import InvalidQueryError, LoadReferencesRequiredError, describe_value

if TYPE_CHECKING:
    from typing_extensions import Self, Unpack

__all__ = ["DanglingReference", "ReferenceField"]

D = TypeVar("D", bound=CollectionDocument)
V = TypeVar("V", bound=CollectionDocument | None)


class DanglingReference:
    """A stored reference whose document no longer exists. A ``ReferenceField`` reads it as
    ``None``; inside a list it stays in place (falsy, ``.id`` is the missing id) so saving
    the list never drops it."""

    __slots__ = ("id",)

    def __init__(self, id: ObjectId) -> None:
        self.id = id

    def __bool__(self) -> bool:
        return False

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DanglingReference) and other.id == self.id

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<DanglingReference {self.id!r}>"


class ReferenceField(BaseField[V]):
    """A reference to a ``Document`` (the class or its name), stored as the plain ``ObjectId``
    of the referenced document. Assign a saved document or an id::

        author = ReferenceField(User)
        post.author = user            # or user._id

    References are lazy: reading one that is not loaded raises ``LoadReferencesRequiredError``;
    ``await post.load_references()`` loads them (one query per referenced collection), as do
    ``find_all(lazy=False)``, ``get(..., lazy=False)`` and ``__lazy__ = False`` on the model.
    """

    holds_references = True

    @overload
    def __init__(
        self: ReferenceField[D],
        reference_document_type: type[D],
        *,
        required: Literal[True],
        default: D | Callable[[], D] | None = None,
        **options: Unpack[FieldOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: ReferenceField[D],
        reference_document_type: type[D],
        *,
        required: bool = False,
        default: D | Callable[[], D],
        **options: Unpack[FieldOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: ReferenceField[D | None],
        reference_document_type: type[D],
        *,
        required: bool = False,
        default: None = None,
        **options: Unpack[FieldOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: ReferenceField[Any],
        reference_document_type: str,
        *,
        required: bool = False,
        default: Any = None,
        **options: Unpack[FieldOptions],
    ) -> None: ...

    def __init__(
        self, reference_document_type: type[CollectionDocument] | str, *args: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._reference_type = reference_document_type

    @property
    def reference_type(self) -> type[CollectionDocument]:
        """The referenced document class (a name is resolved on first use, preferring a class
        of that name in the module that declares the field)."""
        if isinstance(self._reference_type, str):
            resolved = get_document(self._reference_type, self.owner_module)
            self._reference_type = resolved
        return self._reference_type  # type: ignore[return-value]

    @overload
    def __get__(self, instance: None, owner: type) -> Self: ...

    @overload
    def __get__(self, instance: object, owner: type) -> V: ...

    def __get__(self, instance: object | None, owner: type) -> Self | V | None:
        if instance is None:
            return self
        state = instance._ame_state  # type: ignore[attr-defined]
        value: V = state.values.get(self.name, MISSING) if type(state) is DocumentState else MISSING
        if value is MISSING:
            value = super().__get__(instance, owner)
        if isinstance(value, ObjectId):
            self.check_loaded(instance, value)  # raises: not loaded yet
        if isinstance(value, DanglingReference):
            return None  # even when required: what it referenced is gone
        return value

    if TYPE_CHECKING:

        def __set__(self, instance: Any, value: V | ObjectId | str) -> None:
            """Also takes the referenced document's ``ObjectId`` (or its hex string)."""

    def check_loaded(self, instance: object, value: Any) -> None:
        if isinstance(value, ObjectId):
            raise LoadReferencesRequiredError(
                f"{type(instance).__name__}.{self.name} references "
                f"{self.reference_type.__name__} {value!r}, which is not loaded: await the "
                f"document's load_references() first, or query with find_all(lazy=False) / "
                f"get(..., lazy=False)"
            )

    def referenced_document(self) -> type[CollectionDocument]:
        return self.reference_type

    def declaration_problem(self) -> tuple[Any, str] | None:
        declared = self._reference_type
        if isinstance(declared, str) or (
            isinstance(declared, type) and issubclass(declared, CollectionDocument)
        ):
            return None
        return declared, f"ReferenceField takes a Document class or its name, got {declared!r}"

    def describe(self) -> str:
        name = self._reference_type
        shown = name if isinstance(name, str) else name.__name__
        return f"a saved {shown} or its ObjectId"

    def coerce(self, value: Any) -> Any:
        return coerce_object_id(value)

    def check(self, instance: Any, value: Any) -> Any:
        if isinstance(value, CollectionDocument) and value._id is None:
            raise self.invalid(
                instance,
                value,
                f"expected {self.describe()}; this {type(value).__name__} is not saved yet: "
                f"save it before referencing it",
            )
        return super().check(instance, value)

    def validate(self, value: Any) -> bool:
        if value is None or isinstance(value, (ObjectId, DanglingReference)):
            return True
        return isinstance(value, self.reference_type) and value._id is not None

    def to_son(self, value: Any) -> Any:
        if isinstance(value, DanglingReference):
            return value.id
        if isinstance(value, ObjectId):
            return value
        return value._id

    def to_primitive(self, value: Any, json: bool) -> Any:
        identifier = self.to_son(value)
        return str(identifier) if json else identifier

    def value_schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        return {**OBJECT_ID_SCHEMA, "description": f"the id of a {self.reference_type.__name__}"}

    def value_bson_schema(self, expanding: set[Any]) -> dict[str, Any]:
        return {"bsonType": "objectId"}

    def from_son(self, value: Any) -> Any:
        if isinstance(value, DBRef):
            return value.id
        return value

    def to_query(self, value: Any) -> Any:
        if isinstance(value, CollectionDocument):
            if value._id is None:
                raise InvalidQueryError(f"cannot filter on an unsaved {type(value).__name__}")
            return value._id
        if isinstance(value, (ObjectId, str)):
            try:
                return ObjectId(value)
            except InvalidId:
                pass
        if value is None:
            return None
        raise InvalidQueryError(
            f"cannot filter on {describe_value(value)} (expected {self.describe()})"
        )
