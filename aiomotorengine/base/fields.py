"""``BaseField``, the descriptor every field derives from, and ``ObjectIdField`` (every
document's ``_id``): what the document core needs of fields, below the concrete fields."""

from __future__ import annotations

import base64
import copy
import datetime
import decimal
import math
import re
import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypedDict, TypeVar, overload

from bson import ObjectId
from bson.decimal128 import Decimal128
from bson.errors import InvalidId
from bson.regex import Regex
from pymongo import ASCENDING, IndexModel

from aiomotorengine.base.state import DocumentState
from aiomotorengine.errors import InvalidDocumentError, InvalidQueryError, describe_value

if TYPE_CHECKING:
    from typing_extensions import Self, Unpack

__all__ = [
    "IMMUTABLE_DEFAULT_TYPES",
    "INT64_MAX",
    "INT64_MIN",
    "MISSING",
    "OBJECT_ID_SCHEMA",
    "BaseField",
    "FieldOptions",
    "ObjectIdField",
    "coerce_object_id",
    "json_value",
    "literal",
]

#: The integers BSON can hold (a 64-bit signed int); the driver refuses others.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

#: The JSON Schema of an ``ObjectId`` in JSON: its 24 hexadecimal digits.
OBJECT_ID_SCHEMA: dict[str, Any] = {"type": "string", "pattern": "^[0-9a-fA-F]{24}$"}

T = TypeVar("T")
V = TypeVar("V", bound=ObjectId | None)


class _Missing:
    """Marks "no value": a key absent from a document, as opposed to ``None``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

_CONTAINERS = (dict, list)

#: Default values that can be shared between instances as they are (any other is copied).
IMMUTABLE_DEFAULT_TYPES: tuple[type, ...] = (
    str,
    int,
    float,
    bool,
    bytes,
    decimal.Decimal,
    datetime.datetime,
    datetime.date,
    uuid.UUID,
    ObjectId,
    frozenset,
)


class FieldOptions(TypedDict, total=False):
    """The keyword arguments every field takes besides ``default`` and ``required`` (for the
    typed signatures of the fields: ``**options: Unpack[FieldOptions]``)."""

    db_field: str | None
    on_save: Callable[[Any, bool], Any] | None
    unique: bool | None
    sparse: bool
    strict: bool | None


class BaseField(Generic[T]):
    """Base of all fields. Subclass it for a custom field and override ``is_empty``,
    ``validate``, ``to_son``, ``from_son`` (and ``to_query`` for filters)::

        class UpperField(StringField):
            def to_son(self, value):
                return None if value is None else value.upper()

    Arguments: ``db_field`` (the key in MongoDB, default the attribute name), ``default`` (a
    value or a callable; mutable values are copied per instance), ``required`` (``is_empty``
    values fail validation), ``on_save`` (``lambda doc, creating: value``, called right before
    sending; its result becomes the field's value), ``unique`` and ``sparse`` (index options),
    ``strict`` (``True``: accept only values of the field's own type, no lossless conversion
    such as ``"30"`` for an int; default: the model's ``__strict__``, itself ``False``),
    ``choices`` (the only values accepted).

    ``T`` is what a document's attribute reads: the concrete fields infer it from their
    arguments (``StringField(required=True)`` is a ``StringField[str]``, ``StringField()`` a
    ``StringField[str | None]``). Reading the attribute on the class gives the field itself.
    """

    #: Expected Python types, used by the default ``validate`` and by error messages.
    python_types: ClassVar[tuple[type, ...]] = (object,)
    #: True when ``from_son``/``to_son`` return the value unchanged (lets callers skip calls).
    is_identity: ClassVar[bool] = False
    #: False when values are immutable once checked, so ``save()`` need not check them again
    #: (mutable values such as lists can change in place after assignment).
    revalidate_on_save: ClassVar[bool] = True
    #: Exact types a filter value of this field is sent as it is (no conversion; bounds and
    #: formats do not apply to filters): the fast path of query compilation.
    query_types: ClassVar[tuple[type, ...]] = ()
    #: The types of values the default ``to_son``/``from_son`` copy (mutable containers).
    copied_types: ClassVar[tuple[type, ...]] = _CONTAINERS
    #: True when values may be (or contain) documents: embedded documents, lists of them.
    holds_documents: ClassVar[bool] = False
    #: True when ``from_son`` may change a stored value (rounding, say): a value that loads
    #: and saves back as it loaded is then no change.
    normalises_on_load: ClassVar[bool] = False

    def __init__(
        self,
        db_field: str | None = None,
        default: Any = None,
        required: bool = False,
        on_save: Callable[[Any, bool], Any] | None = None,
        unique: bool | None = None,
        sparse: bool = False,
        strict: bool | None = None,
        choices: Iterable[Any] | None = None,
    ) -> None:
        self.db_field: str = db_field or ""
        self.name: str = ""
        self.default = default
        self.required = required
        self.on_save = on_save
        self.unique = bool(unique)
        self.sparse = sparse
        self.strict = strict
        self.choices: tuple[Any, ...] | None = None if choices is None else tuple(choices)
        #: False when values need the full check (custom checks, choices): subclasses then
        #: skip their inline fast paths.
        self._plain_checks = not self._custom_checks and self.choices is None
        self.owner_name = ""
        self.owner_module = ""
        #: Exact types whose values are valid as they are (no coercion, no check): the fast path
        #: of assignment. Fields with bounds or coercions leave it empty.
        self.fast_types: tuple[type, ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = vars(cls)
        # A subclass that converts values itself is no identity, whatever its base says.
        if "is_identity" not in own and ("to_son" in own or "from_son" in own):
            cls.is_identity = False
        # ...nor does it take filter values as they are.
        if "query_types" not in own and any(
            name in own for name in ("to_son", "coerce", "convert", "to_query")
        ):
            cls.query_types = ()
        # A user subclass that checks values itself must never take the unchecked fast path.
        if not cls.__module__.startswith("aiomotorengine.") and any(
            name in own for name in ("coerce", "validate", "check")
        ):
            cls._custom_checks = True

    #: True for user subclasses overriding ``coerce``/``validate``/``check`` (no fast path).
    _custom_checks: ClassVar[bool] = False

    def __set_name__(self, owner: type, name: str) -> None:
        if not self._plain_checks:
            self.fast_types = ()
        self.name = name
        self.db_field = self.db_field or name
        self.owner_name = owner.__name__
        self.owner_module = owner.__module__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.owner_name}.{self.name}>"

    # --- descriptor protocol -------------------------------------------------------------
    @overload
    def __get__(self, instance: None, owner: type) -> Self: ...

    @overload
    def __get__(self, instance: object, owner: type) -> T: ...

    def __get__(self, instance: object | None, owner: type) -> Self | T:
        if instance is None:
            return self
        # .get rather than try/except: a miss (first read after a load) is the common case.
        state = instance._ame_state  # type: ignore[attr-defined]
        if type(state) is DocumentState:
            value = state.values.get(self.name, MISSING)
            if value is not MISSING:
                return value  # type: ignore[no-any-return]
            raw = state.raw
        else:  # loaded and not touched since: the state is the raw SON (no value assigned)
            raw = state
        if self.is_identity:  # the stored value is the value: no conversion, no extra call,
            value = raw.get(self.db_field, MISSING)  # and nothing to cache (immutable)
            if value is not MISSING:
                return value  # type: ignore[no-any-return]
        return instance._load_field(self)  # type: ignore[attr-defined, no-any-return]

    def __set__(self, instance: Any, value: T) -> None:
        if value is not None and type(value) not in self.fast_types:
            value = self.check(instance, value)
        instance._state.values[self.name] = value

    # --- validation ----------------------------------------------------------------------
    def coerce(self, value: Any) -> Any:
        """Turn an accepted input form into the field's Python type (e.g. ``str`` -> ``UUID``)."""
        return value

    def convert(self, value: Any) -> Any:
        """Convert a value of another type without loss (``"30"`` -> ``30`` for an int); a value
        that would lose information is returned as it is, for validation to refuse. Not
        called for ``strict`` fields."""
        return value

    def inherit_strict(self, strict: bool) -> None:
        """Take the model's ``__strict__`` unless the field chose for itself."""
        if self.strict is None:
            self.strict = strict

    def validate(self, value: Any) -> bool:
        """Whether ``value`` is acceptable (``None`` always is; ``required`` is checked apart)."""
        return value is None or isinstance(value, self.python_types)

    def describe(self) -> str:
        """What the field expects, for error messages."""
        return " or ".join(t.__name__ for t in self.python_types)

    def is_empty(self, value: Any) -> bool:
        """Whether ``value`` counts as no value for ``required``."""
        return value is None

    def check(self, instance: Any, value: Any) -> Any:
        """Coerce and validate a non-``None`` value, raising ``InvalidDocumentError`` naming
        the model, the field and the value."""
        value, valid = self._coerce_and_validate(value)
        if not valid:
            raise self.invalid(instance, value)
        if self.choices is not None and value not in self.choices:
            raise self.invalid(instance, value, f"expected one of {describe_value(self.choices)}")
        return value

    def _coerce_and_validate(self, value: Any) -> tuple[Any, bool]:
        try:
            if not self.strict:
                value = self.convert(value)
            value = self.coerce(value)
            return value, self.validate(value)
        except (TypeError, ValueError, ArithmeticError):
            return value, False

    def invalid(self, instance: Any, value: Any, reason: str | None = None) -> InvalidDocumentError:
        model = _model_name(instance, self)
        reason = reason or f"expected {self.describe()}"
        return InvalidDocumentError(
            f"{model}.{self.name}: invalid value {self.safe_repr(value)} ({reason})",
            model=model,
            field=self.name,
            value=value,
        )

    def safe_repr(self, value: Any) -> str:
        """How a value of this field may appear in a message (secrets override this)."""
        return describe_value(value)

    def get_default(self) -> Any:
        default = self.default
        if callable(default):
            return default()
        if default is None or isinstance(default, IMMUTABLE_DEFAULT_TYPES):
            return default
        # Lists, dicts, embedded documents...: a copy per instance, nested values included.
        return copy.deepcopy(default)

    # --- inline source for the code a model generates (``base/compiled.py``) ---------------
    # Each returns Python source over ``value``, a variable's name, with the field itself
    # reachable as the global ``field``: what the generated ``__init__``, ``_validate`` and
    # ``to_son`` run instead of a call. A custom field need not override them.
    def inline_check(self, value: str, field: str) -> str | None:
        """An expression true when the non-``None`` ``value`` is valid as it is (``check()``
        would return it unchanged), or ``None``: ``check()`` is called every time."""
        return f"type({value}) in {field}.fast_types" if self.fast_types else None

    def inline_son(self, value: str, field: str) -> str:
        """An expression equal to ``to_son()`` of the valid, non-``None`` ``value``."""
        if self.is_identity:
            return value
        if not self._custom_checks and type(self).to_son is BaseField.to_son:
            # Containers only come from stored data of another shape: to_son copies them.
            copied = f"type({value}) in {field}.copied_types"
            return f"({field}.to_son({value}) if {copied} else {value})"
        return f"{field}.to_son({value})"

    def inline_empty(self, value: str, field: str) -> str:
        """An expression equal to ``is_empty()`` of the non-``None`` ``value``."""
        return f"{field}.is_empty({value})"

    # --- conversion ----------------------------------------------------------------------
    def to_son(self, value: Any) -> Any:
        """The BSON-ready form of a (valid) Python value."""
        # A container is copied: shared with the stored SON, an in-place change would go unseen.
        return copy.deepcopy(value) if type(value) in self.copied_types else value

    def from_son(self, value: Any) -> Any:
        """The Python value of a stored BSON value; must not share mutable state with it."""
        return copy.deepcopy(value) if type(value) in self.copied_types else value

    def to_query(self, value: Any) -> Any:
        """The BSON form of a filter value: converted by this field, never an operator.

        The value must be of the field's type; value constraints (bounds, lengths, formats)
        do not apply: ``age__gt=-1`` is a fine filter on ``IntField(min_value=0)``.
        """
        if type(value) in self.query_types:
            if type(value) is int and not INT64_MIN <= value <= INT64_MAX:
                raise _beyond_int64(value)
            return value
        if isinstance(value, (re.Pattern, Regex)):  # would match as a pattern, not a value
            raise InvalidQueryError(
                f"a pattern is not a filter value; use {self.name}__regex=... for a regular "
                f"expression"
            )
        if isinstance(value, (dict, list, tuple, set)) and not self.accepts_container(value):
            raise InvalidQueryError(
                f"a filter value must be {self.describe()}, got {type(value).__name__} "
                f"{describe_value(value)}"
            )
        if value is None:
            return None
        try:
            if not self.strict:
                value = self.convert(value)
            value = self.coerce(value)
            valid = isinstance(value, self.python_types) and (
                type(value) is not bool or bool in self.python_types
            )
        except (TypeError, ValueError, ArithmeticError):
            valid = False
        if not valid:
            raise InvalidQueryError(
                f"cannot filter on {self.safe_repr(value)} (expected {self.describe()})"
            )
        value = self.to_son(value)
        if type(value) is int and not INT64_MIN <= value <= INT64_MAX:
            raise _beyond_int64(value)
        return value

    def accepts_container(self, value: Any) -> bool:
        """Whether a dict/list value is a legitimate filter value for this field."""
        return False

    # --- save hooks ----------------------------------------------------------------------
    @property
    def has_save_hook(self) -> bool:
        return self.on_save is not None

    def value_on_save(self, document: Any, value: Any, creating: bool) -> Any:
        """The value to send when the document is saved (``on_save`` by default)."""
        if self.on_save is not None:
            return self.on_save(document, creating)
        return value

    # --- dicts and JSON (``to_dict``, ``from_dict``, ``json_schema``) -----------------------
    #: True for values that ``to_dict`` never shows (password hashes).
    secret: ClassVar[bool] = False

    def to_primitive(self, value: Any, json: bool) -> Any:
        """The value as ``to_dict`` shows it: a copy sharing nothing with the document, and
        with ``json`` made of JSON types only (ids, UUIDs and decimals as strings, datetimes as
        ISO 8601, bytes as base64)."""
        if json:
            return json_value(value)
        return copy.deepcopy(value) if type(value) in self.copied_types else value

    def from_primitive(self, value: Any) -> Any:
        """A value as ``to_primitive(value, json=True)`` shows it, back in a form this field
        takes (base64 text for bytes); ``from_dict`` reads its input so. Other values are
        returned as they are, for the field's own check."""
        return value

    def json_schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        """The JSON Schema of this field's ``to_primitive(value, json=True)`` values (``None``
        aside); embedded document schemas go into ``definitions`` by class name."""
        schema = self.value_schema(definitions)
        if self.choices is not None:
            schema["enum"] = [json_value(choice) for choice in self.choices]
        return schema

    def value_schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        """The JSON Schema of one value, before ``choices`` (any JSON value by default)."""
        return {}

    # --- server-side validation: MongoDB's ``$jsonSchema`` of stored values ------------------
    def bson_schema(self, expanding: set[Any]) -> dict[str, Any]:
        """MongoDB's ``$jsonSchema`` of this field's stored values: BSON types, bounds,
        lengths, choices, and ``null`` unless the field is required (``{}``: any value).
        ``expanding`` holds the embedded models being expanded: one inside itself is then
        any object."""
        schema = self.value_bson_schema(expanding)
        if self.choices is not None:
            schema["enum"] = [self.to_son(choice) for choice in self.choices]
        if not self.required:
            if "enum" in schema:
                schema["enum"].append(None)
            types = schema.get("bsonType")
            if types is not None:
                schema["bsonType"] = (
                    [*types, "null"] if isinstance(types, list) else [types, "null"]
                )
        return schema

    def value_bson_schema(self, expanding: set[Any]) -> dict[str, Any]:
        """The ``$jsonSchema`` of one stored value other than ``null``, before ``choices``
        (any value by default)."""
        return {}

    # --- capabilities: what other layers may do with this field -------------------------
    #: True when values may be (or contain) references to other documents.
    holds_references: ClassVar[bool] = False
    #: True when the field takes list updates (``push``, ``pull``, ``add_to_set``...).
    takes_list_updates: ClassVar[bool] = False
    #: True when any key may follow the field in a filter path (``meta__any__key``).
    schemaless: ClassVar[bool] = False
    #: True when geo operators (``near``, ``geo_within``...) apply to the field.
    geo_queries: ClassVar[bool] = False

    def element_field(self) -> BaseField[Any]:
        """The field describing one element: a list's item field, else the field itself."""
        return self

    def embedded_document(self) -> Any:
        """The embedded document class this field holds (``None`` for other fields)."""
        return None

    def referenced_document(self) -> Any:
        """The document class this field references (``None`` for other fields)."""
        return None

    def sub_fields(self) -> dict[str, BaseField[Any]] | None:
        """The fields reachable with ``field__sub`` (embedded documents, also in lists)."""
        embedded = self.element_field().embedded_document()
        return None if embedded is None else embedded._fields

    def declaration_problem(self) -> tuple[Any, str] | None:
        """What is wrong with this field's declaration, as ``(offending value, reason)``;
        checked when the model class is created."""
        return None

    def check_loaded(self, instance: object, value: Any) -> None:
        """Raise when ``value`` is a placeholder that must be loaded before it is read."""

    def declared_indexes(self, path: str) -> list[IndexModel]:
        """The indexes this field's options declare, stored at ``path``."""
        if not (self.unique or self.sparse):
            return []
        options: dict[str, Any] = {}
        if self.unique:
            options["unique"] = True
        if self.sparse:
            options["sparse"] = True
        return [IndexModel([(path, ASCENDING)], **options)]


def json_value(value: Any) -> Any:
    """``value`` in JSON types: ``ObjectId``, ``UUID``, ``Decimal`` (and ``Decimal128``) as
    strings, datetimes as ISO 8601 in UTC (``Z``; naive ones are UTC in MongoDB), dates as
    ISO 8601,
    bytes as base64, containers converted item by item."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, dict):
        return {str(key): json_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(item) for item in value]
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return value.isoformat() + "Z"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Decimal128):
        return str(value.to_decimal())
    return str(value)  # ObjectId, UUID, Decimal


def literal(value: Any, otherwise: str) -> str:
    """``value`` as Python source when its ``repr`` is one that reads back exactly (an int, a
    finite float), else the source ``otherwise`` (for the code models generate)."""
    if type(value) is int or (type(value) is float and math.isfinite(value)):
        return repr(value)
    return otherwise


def _beyond_int64(value: int) -> InvalidQueryError:
    return InvalidQueryError(f"cannot filter on {value} (BSON holds 64-bit ints only)")


def _model_name(instance: Any, field: BaseField[Any]) -> str:
    if instance is None:
        return field.owner_name
    return type(instance).__name__


class ObjectIdField(BaseField[V]):
    """A BSON ``ObjectId`` (its 24-character hex string is accepted)."""

    python_types = (ObjectId,)
    query_types = (ObjectId,)
    is_identity = True
    revalidate_on_save = False

    @overload
    def __init__(
        self: ObjectIdField[ObjectId],
        *,
        required: Literal[True],
        default: ObjectId | Callable[[], ObjectId] | None = None,
        **options: Unpack[FieldOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: ObjectIdField[ObjectId],
        *,
        required: bool = False,
        default: ObjectId | Callable[[], ObjectId],
        **options: Unpack[FieldOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: ObjectIdField[ObjectId | None],
        *,
        required: bool = False,
        default: None = None,
        **options: Unpack[FieldOptions],
    ) -> None: ...

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fast_types = (ObjectId,)

    if TYPE_CHECKING:

        def __set__(self, instance: Any, value: V | str) -> None:
            """Also takes the 24-character hex string of an ``ObjectId``."""

    def coerce(self, value: Any) -> Any:
        return coerce_object_id(value)

    def value_schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        return dict(OBJECT_ID_SCHEMA)

    def value_bson_schema(self, expanding: set[Any]) -> dict[str, Any]:
        return {"bsonType": "objectId"}


def coerce_object_id(value: Any) -> Any:
    """An ``ObjectId`` for its 24-character hex string (``ValueError`` if malformed); any
    other value unchanged."""
    if isinstance(value, str):
        try:
            return ObjectId(value)
        except InvalidId as error:
            raise ValueError(str(error)) from None
    return value
