"""The document core without I/O: declaration, hydration, validation, change tracking.

A loaded document keeps the raw SON the driver returned (``DocumentState.raw``) and converts a
field only when it is first read (``DocumentState.values`` caches it). Saving compares what was
read or assigned with the raw SON and sends only the difference, so keys the model does not
know and fields a projection did not load are never touched. ``aiomotorengine.document.Document``
adds querysets and persistence on top of :class:`CollectionDocument`.
"""

from __future__ import annotations

import copy
import json as json_module
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from bson import ObjectId

from aiomotorengine.base.compiled import compile_model
from aiomotorengine.base.fields import IMMUTABLE_DEFAULT_TYPES, MISSING, BaseField, ObjectIdField
from aiomotorengine.base.registry import register_document
from aiomotorengine.base.state import Changes, DocumentState, Place, Projection
from aiomotorengine.errors import FieldNotLoadedError, InvalidDocumentError, describe_value

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "EMBEDDED",
    "EMBEDDED_LIST",
    "REFERENCE",
    "REFERENCE_LIST",
    "VERSION_KEY",
    "BaseDocument",
    "BaseEmbeddedDocument",
    "CollectionDocument",
    "DocumentMetaclass",
    "ReferencePlanEntry",
]

#: The key under which documents of a versioned model (``__versioned__ = True``) store their
#: version number.
VERSION_KEY = "_v"

# What a field holds, for reference loading (see ``BaseDocument.reference_plan``).
REFERENCE, REFERENCE_LIST, EMBEDDED, EMBEDDED_LIST = range(4)
ReferencePlanEntry = tuple[str, BaseField[Any], int, Any]


_new_state = DocumentState.__new__


def _checked_default(model: str, attribute: str, field: BaseField[Any]) -> Any:
    """A field's constant default as the field converts it (``default=0`` of a
    ``FloatField`` is ``0.0``); an invalid one is an error when the class is created."""
    default = field.default
    if default is None:
        return None
    try:
        field.default = field.check(None, default)  # converted once: loads show it too
        return field.default
    except InvalidDocumentError as error:
        raise InvalidDocumentError(
            f"{model}.{attribute}: invalid default {field.safe_repr(default)} ({error})",
            model=model,
            field=attribute,
            value=default,
        ) from None


def _unsettable(cls: type, name: str) -> str:
    """Why an undeclared attribute ``name`` given as data (constructor keywords,
    ``from_dict(allow_extra=True)``) may not be set: a private name, or one the class defines
    (a method or property it would hide); ``""`` when it may."""
    if name.startswith("_"):
        return "names starting with '_' are the document's own, never data"
    if hasattr(cls, name):
        return f"{cls.__name__} defines {name!r} (a method or property it would hide)"
    return ""


def _is_computed_default(default: Any) -> bool:
    """Whether a default must be made per instance (callables, mutable values)."""
    return callable(default) or not (
        default is None or isinstance(default, IMMUTABLE_DEFAULT_TYPES)
    )


_MAKING_STATE = threading.Lock()
#: The slots of every document (``__getstate__``).
_SLOTS = ("_ame_origin", "_ame_state")


def _loaded_state(
    son: dict[str, Any], projection: Projection | None, alias: str | None, db: str | None
) -> DocumentState:
    """The state of a document loaded from ``son`` at ``alias``/``db`` with ``projection``."""
    state = _new_state(DocumentState)
    state.raw = son
    state.values = {}
    state.projection = projection
    state.persisted = True
    state.alias = alias
    state.db = db
    state.defaulted = state.normalised = state.deleted = state.saving = state.target = None
    return state


#: Attributes of every document that a model may not define (its state, see ``_state``).
_INTERNAL_NAMES = frozenset({"_state", "_ame_state", "_ame_origin"})


class DocumentMetaclass(type):
    """Collects the field descriptors once per class and precomputes the per-class plans."""

    def __new__(
        mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any
    ) -> DocumentMetaclass:
        cls: Any = super().__new__(mcs, name, bases, namespace, **kwargs)
        fields: dict[str, BaseField[Any]] = {}
        for base in reversed(cls.__mro__[1:]):
            fields.update(getattr(base, "_fields", {}))
        strict = bool(getattr(cls, "__strict__", False))
        shadowing = sorted(_INTERNAL_NAMES.intersection(namespace))
        if shadowing and any(isinstance(base, DocumentMetaclass) for base in bases):
            raise InvalidDocumentError(
                f"{name}: {', '.join(shadowing)} name the document's own state; name the "
                f"attribute otherwise",
                model=name,
                field=shadowing[0],
            )
        for attribute, value in namespace.items():
            if isinstance(value, BaseField):
                problem = value.declaration_problem()
                if problem is not None:
                    shown, reason = problem
                    raise InvalidDocumentError(
                        f"{name}.{attribute}: {reason}",
                        model=name,
                        field=attribute,
                        value=shown,
                    )
                fields[attribute] = value
                value.inherit_strict(strict)

        if "_id" in fields and "id" in fields:
            raise InvalidDocumentError(
                f"{name}.id: a field may not be named 'id', the key of the identity (_id) in "
                f"to_dict(), from_dict() and json_schema() and what doc.id reads; name it "
                f"otherwise",
                model=name,
                field="id",
                value=fields["id"].db_field,
            )
        by_db_field: dict[str, BaseField[Any]] = {}
        for attribute, field in fields.items():
            other = by_db_field.get(field.db_field)
            if other is not None:
                raise InvalidDocumentError(
                    f"{name}: fields {other.name!r} and {attribute!r} both use "
                    f"db_field {field.db_field!r}; each field needs a key of its own",
                    model=name,
                    field=attribute,
                    value=field.db_field,
                )
            by_db_field[field.db_field] = field

        cls._fields = fields
        cls._fields_by_db_field = by_db_field
        cls._required_fields = tuple(f for f in fields.values() if f.required)
        cls._save_hook_fields = tuple(f for f in fields.values() if f.has_save_hook)
        cls._constant_defaults = {
            attribute: _checked_default(name, attribute, field)
            for attribute, field in fields.items()
            if not _is_computed_default(field.default)
        }
        cls._computed_defaults = tuple(
            field for field in fields.values() if _is_computed_default(field.default)
        )
        cls._validation_plan = tuple(
            (attribute, field)
            for attribute, field in fields.items()
            if field.required or field.revalidate_on_save
        )
        cls._nested_plan = tuple(
            (attribute, field.db_field)
            for attribute, field in fields.items()
            if field.holds_documents
        )
        cls._son_plan = tuple(
            (attribute, field.db_field, field, field.is_identity)
            for attribute, field in fields.items()
        )
        if fields:  # BaseDocument itself has none: it holds the generic methods
            compile_model(cls, BaseDocument)
        cls._reference_plan = None  # built on first use: referenced classes may come later
        cls._shard_key_fields = _shard_key_fields(name, fields, getattr(cls, "__shard_key__", ()))
        cls._query_cache = {}
        cls._compiled_filters = {}
        if "__collection__" not in namespace and cls._has_collection:
            cls.__collection__ = name
        alias = namespace.get("__alias__") or namespace.get("__connection__")
        if alias is not None:
            cls.__alias__ = alias
        cls._bound_classes = {}
        if "_unbound" in namespace:
            return cls  # type: ignore[no-any-return]  # a bound copy: the model stays registered
        cls._unbound = cls
        register_document(cls)
        return cls  # type: ignore[no-any-return]


def _shard_key_fields(
    model: str, fields: dict[str, BaseField[Any]], names: tuple[str, ...] | str
) -> tuple[BaseField[Any], ...]:
    """The fields a model's ``__shard_key__`` names (attribute names; ``_id`` left out: every
    filter of one document has it already)."""
    if isinstance(names, str):
        names = (names,)
    shard_key = []
    for name in names:
        field = fields.get(name) if isinstance(name, str) else None
        if field is None:
            known = ", ".join(sorted(fields))
            raise InvalidDocumentError(
                f"{model}.__shard_key__: no field named {describe_value(name)} (fields: {known})",
                model=model,
                field=str(name),
                value=names,
            )
        if field.db_field != "_id":
            shard_key.append(field)
    return tuple(shard_key)


class BaseDocument(metaclass=DocumentMetaclass):
    """What documents and embedded documents share."""

    # ``_ame_state``: the document's ``DocumentState``; for a document loaded and not touched
    # since, the raw SON itself, the state made on first need from it and ``_ame_origin`` (the
    # query's projection, alias and database, one tuple shared by its documents). See
    # ``_state``. Named so that a model's own private attributes never meet them.
    __slots__ = _SLOTS

    _fields: ClassVar[dict[str, BaseField[Any]]] = {}
    _fields_by_db_field: ClassVar[dict[str, BaseField[Any]]] = {}
    _required_fields: ClassVar[tuple[BaseField[Any], ...]] = ()
    _save_hook_fields: ClassVar[tuple[BaseField[Any], ...]] = ()
    _constant_defaults: ClassVar[dict[str, Any]] = {}
    _computed_defaults: ClassVar[tuple[BaseField[Any], ...]] = ()
    _validation_plan: ClassVar[tuple[tuple[str, BaseField[Any]], ...]] = ()
    _nested_plan: ClassVar[tuple[tuple[str, str], ...]] = ()
    _son_plan: ClassVar[tuple[tuple[str, str, BaseField[Any], bool], ...]] = ()
    _reference_plan: ClassVar[tuple[ReferencePlanEntry, ...] | None] = None
    _query_cache: ClassVar[dict[str, Any]] = {}
    #: Filter keywords compiled for this model (``query/compiler.py``), by keyword.
    _compiled_filters: ClassVar[dict[str, Any]] = {}
    _has_collection: ClassVar[bool] = False
    #: ``True`` makes every field of the model ``strict`` unless it says otherwise: values of
    #: other types are refused instead of converted (``"30"`` for an ``IntField``).
    __strict__: ClassVar[bool] = False
    #: Frameworks that read a parameter annotated with a dataclass as a JSON body (FastAPI)
    #: treat documents so; ``dataclasses.fields()``/``asdict()`` say they are none.
    __dataclass_fields__: ClassVar[dict[str, Any]]

    _ame_state: DocumentState | dict[str, Any]
    _ame_origin: tuple[Projection | None, str | None, str | None]

    @property
    def _state(self) -> DocumentState:
        """The document's state, made from the raw SON on first need for a document loaded by
        a query (hydrating costs one object per document; reading a field of the model's own
        type reads the raw SON directly, see ``BaseField.__get__``)."""
        state = self._ame_state
        if type(state) is DocumentState:
            return state
        with _MAKING_STATE:  # two threads making one document's state would lose a write
            state = self._ame_state
            if type(state) is DocumentState:
                return state
            made = _loaded_state(state, *self._ame_origin)  # type: ignore[arg-type]
            _set_state(self, made)
            return made

    def __getstate__(self) -> object:
        """For ``copy``/``pickle``: a loaded document's state is made first, so that a shallow
        copy shares it (as it does a new document's) instead of only the raw SON."""
        self._state  # noqa: B018  # made, if not yet
        slots = {name: getattr(self, name) for name in _SLOTS if hasattr(self, name)}
        return (self.__dict__ or None, slots)  # the default state of an object with slots

    def __init__(self, **kwargs: Any) -> None:
        cls = type(self)
        values = dict(cls._constant_defaults)
        for defaulted in cls._computed_defaults:
            if defaulted.name not in kwargs:
                values[defaulted.name] = defaulted.get_default()
        _set_state(self, DocumentState(values))  # models' compiled __init__ inline this
        fields = cls._fields
        dynamic = None
        failures = None
        for name, value in kwargs.items():
            field = fields.get(name)
            if field is None:
                dynamic = dynamic or {}
                dynamic[name] = value
                continue
            if value is not None and type(value) not in field.fast_types:
                try:
                    value = field.check(self, value)
                except InvalidDocumentError as error:  # every bad field is reported at once
                    failures = failures or []
                    failures.append(error)
                    continue
            values[name] = value
        if failures:  # reported in the order of the fields, as the compiled __init__ does
            order = {name: index for index, name in enumerate(fields)}
            failures.sort(key=lambda failure: order.get(failure.field or "", len(order)))
        if dynamic:
            self._set_dynamic(dynamic, failures)
        elif failures:
            raise InvalidDocumentError.combine(cls.__name__, failures)

    def _set_dynamic(
        self, attributes: dict[str, Any], failures: list[InvalidDocumentError] | None
    ) -> None:
        """Set the undeclared ``attributes`` given to the constructor, or raise every failure
        (``failures`` of the declared fields, and names that may not be set) at once."""
        cls = type(self)
        for name, value in attributes.items():
            reason = _unsettable(cls, name)  # would replace a method or the document's state
            if reason:
                failures = [*(failures or ()), self._name_failure(name, value, reason)]
        if failures:
            raise InvalidDocumentError.combine(cls.__name__, failures)
        for name, value in attributes.items():
            setattr(self, name, value)

    @classmethod
    def from_son(
        cls,
        son: dict[str, Any],
        *,
        projection: Projection | None = None,
        alias: str | None = None,
        db: str | None = None,
    ) -> Self:
        """Wrap a raw document from MongoDB; fields convert when first read.

        ``projection`` says what a query's ``only()``/``exclude()`` loaded (``None``: all);
        ``alias`` and ``db`` where it was read (``None``: where its model's queries go).
        """
        return cls.hydrate([son], projection=projection, alias=alias, db=db)[0]

    @classmethod
    def hydrate(
        cls,
        sons: list[dict[str, Any]],
        *,
        projection: Projection | None = None,
        alias: str | None = None,
        db: str | None = None,
        states: bool = False,
    ) -> list[Self]:
        """``from_son`` for many raw documents: the hot path of every query. Costs one object
        per document and no Python call: its state is made on first need (``_state``), or at
        once with ``states=True`` (for a caller that changes every document next, such as
        placing the references it loaded)."""
        new = cls.__new__
        set_state = _set_state
        set_origin = _set_origin
        origin = (projection, alias, db)
        documents: list[Self] = []
        append = documents.append
        for son in sons:
            document = new(cls)
            set_state(document, _loaded_state(son, projection, alias, db) if states else son)
            set_origin(document, origin)
            append(document)
        return documents

    def _load_field(self, field: BaseField[Any]) -> Any:
        state = self._ame_state
        if type(state) is not DocumentState:  # the raw SON: the state is made now
            state = self._state
        raw = state.raw.get(field.db_field, MISSING)
        if raw is MISSING:
            if not state.loads(field.name):
                raise FieldNotLoadedError(
                    f"{type(self).__name__}.{field.name} was not loaded by the query's "
                    f"projection (only()/exclude()); query it to read it"
                )
            value = field.get_default() if state.persisted else None
            if value is not None:
                state.remember_default(field.name, field.to_son(value))
        elif raw is None or field.is_identity:
            value = raw
        else:
            value = field.from_son(raw)
            if field.normalises_on_load:
                state.remember_normalised(field.name, value)
            if field.holds_documents and state.projection is not None:
                _project_embedded(value, field.db_field, state.projection)
        state.values[field.name] = value
        return value

    def _loaded_value(self, field: BaseField[Any]) -> Any:
        """The field's value, converting it if needed; ``MISSING`` when the projection did
        not load it."""
        state = self._ame_state
        if type(state) is DocumentState:
            values = state.values
            if field.name in values:
                return values[field.name]
        try:
            return self._load_field(field)
        except FieldNotLoadedError:
            return MISSING

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails: keys the model does not declare, or a field
        # whose descriptor raised an AttributeError subclass (not loaded): raise it again.
        field = type(self)._fields.get(name)
        if field is not None:
            return field.__get__(self, type(self))
        if not name.startswith("_"):
            state = self._state
            raw = state.raw
            # A field's db_field (``n`` for ``name``) is the field's, never a dynamic attribute.
            if (
                name in raw
                and name not in type(self)._fields_by_db_field
                and name not in (state.deleted or ())
            ):
                value = copy.deepcopy(raw[name])
                self.__dict__[name] = value
                return value
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        """``del doc.field`` clears a field; ``del doc.key`` removes a key the model does not
        declare. Either way the next save sends ``$unset``."""
        if name in type(self)._fields:
            self._state.values[name] = None
            return
        if name.startswith("_"):
            object.__delattr__(self, name)
            return
        state = self._state
        found = self.__dict__.pop(name, MISSING) is not MISSING
        if name in state.raw and name not in type(self)._fields_by_db_field:
            if state.deleted is None:
                state.deleted = set()
            state.deleted.add(name)
            found = True
        if not found:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _dynamic_items(self) -> list[tuple[str, Any]]:
        """Attributes assigned or read that the model does not declare."""
        attributes = self.__dict__
        if not attributes:  # the common case: no attribute beyond the declared fields
            return []
        return [(name, value) for name, value in attributes.items() if not name.startswith("_")]

    # --- validation ----------------------------------------------------------------------
    def validate(self) -> bool:
        """Validate every field; raise ``InvalidDocumentError`` naming model, field and value."""
        self._validate(all_fields=True)
        return True

    def _validate(self, *, all_fields: bool) -> None:
        # Values were checked when assigned (or come from the database); only those that can
        # change in place (lists, dicts, embedded documents) are checked again here.
        state = self._state
        values = state.values
        check_missing = all_fields and not state.persisted
        model = type(self).__name__
        failures: list[InvalidDocumentError] = []
        for name, field in self._validation_plan:
            if name in values:
                value = values[name]
            elif check_missing:
                value = None
            else:
                continue  # never read nor assigned: the stored value is not ours to judge
            if field.required and (value is None or field.is_empty(value)):
                failures.append(self._required_error(name, value))
            elif value is not None and field.revalidate_on_save:
                try:
                    values[name] = field.check(self, value)
                except InvalidDocumentError as error:
                    failures.append(error)
        if self.__dict__:
            failures.extend(self._dynamic_name_failures())
        if failures:
            raise InvalidDocumentError.combine(model, failures)

    def _required_error(self, name: str, value: Any) -> InvalidDocumentError:
        model = type(self).__name__
        return InvalidDocumentError(
            f"{model}.{name} is required", model=model, field=name, value=value
        )

    def _dynamic_name_failures(self) -> list[InvalidDocumentError]:
        """Attribute names that MongoDB would read as something else: a path (``.``), an
        operator (``$``), or the stored key (``db_field``) of a declared field."""
        failures = []
        for name, value in self._dynamic_items():
            if "." in name or name.startswith("$"):
                reason = "'.' separates the parts of a path and '$' starts an operator"
            elif name in self._fields_by_db_field:
                reason = f"it is the stored key of field {self._fields_by_db_field[name].name!r}"
            else:
                reason = _unsettable(type(self), name)
                if not reason:
                    continue
            failures.append(self._name_failure(name, value, reason))
        return failures

    def _name_failure(self, name: str, value: Any, reason: str) -> InvalidDocumentError:
        model = type(self).__name__
        return InvalidDocumentError(
            f"{model}: attribute {name!r} (value {describe_value(value)}) cannot be stored: "
            f"{reason}",
            model=model,
            field=name,
            value=value,
        )

    # --- SON -----------------------------------------------------------------------------
    def to_son(self) -> dict[str, Any]:
        """The whole document as BSON-ready SON (stored keys unknown to the model included)."""
        state = self._state
        values = state.values
        son: dict[str, Any] = {}
        raw = state.raw
        for name, db_field, field, identity in self._son_plan:
            value = values.get(name, MISSING)
            if value is MISSING:
                if db_field in raw:
                    son[db_field] = raw[db_field]
            elif value is not None:
                son[db_field] = value if identity else field.to_son(value)
        self._son_tail(son)
        return son

    def _son_tail(self, son: dict[str, Any]) -> None:
        """Add to the SON of the declared fields the stored keys the model does not declare
        (unless removed) and the undeclared attributes."""
        state = self._state
        raw = state.raw
        if raw:
            deleted = state.deleted or ()
            for key, value in raw.items():
                if key not in son and key not in self._fields_by_db_field and key not in deleted:
                    son[key] = value
        for name, value in self._dynamic_items():
            son[name] = copy.deepcopy(value)

    def _delta(
        self,
        prefix: str,
        sets: dict[str, Any],
        unsets: dict[str, Any],
        pushes: dict[str, Any] | None = None,
        pulls: dict[str, Any] | None = None,
    ) -> None:
        """Collect ``$set``/``$unset`` entries for what differs from the stored SON. Given
        ``pushes`` and ``pulls``, a list changed only by appends or only by removals goes
        there (``{path: items}``), so concurrent changes of the same list are not lost."""
        state = self._state
        raw = state.raw
        fields = self._fields
        for name, value in state.values.items():
            field = fields[name]
            key = field.db_field
            stored = raw.get(key, MISSING)
            if value is None:
                if stored is not MISSING:
                    if stored is not None:  # a stored null stays as is
                        unsets[prefix + key] = ""
                elif not state.loads(name):
                    # Cleared without being loaded (projection): the stored value is unknown.
                    unsets[prefix + key] = ""
                continue
            if isinstance(value, BaseDocument) and value._state.raw is stored:
                # The embedded document was loaded from there: send its changes as paths.
                value._delta(f"{prefix}{key}.", sets, unsets, pushes, pulls)
                continue
            son = field.to_son(value)
            if stored is MISSING:
                defaulted = state.defaulted
                if defaulted is None or defaulted.get(name, MISSING) != son:
                    sets[prefix + key] = son
            elif not _same_bson(son, stored) and not (
                state.normalised is not None and state.normalised.get(name) is value
            ):
                if pushes is None or pulls is None or type(son) is not list:
                    sets[prefix + key] = son
                else:
                    _list_delta(prefix + key, son, stored, sets, pushes, pulls)
        for name, value in self._dynamic_items():
            stored = raw.get(name, MISSING)
            if stored is MISSING or not _same_bson(value, stored):
                if pushes is None or pulls is None or type(value) is not list:
                    sets[prefix + name] = copy.deepcopy(value)
                else:
                    _list_delta(prefix + name, copy.deepcopy(value), stored, sets, pushes, pulls)
        for name in state.deleted or ():
            if name in raw and name not in self.__dict__:  # not assigned again since
                unsets[prefix + name] = ""

    def _mark_saved(self, son: dict[str, Any]) -> None:
        """Make ``son`` the stored state (after a successful write)."""
        state = self._state
        state.raw = son
        state.persisted = True
        state.deleted = None  # the removed keys are gone from the stored SON too
        values = state.values
        for name, key in self._nested_plan:  # link embedded documents to their stored SON
            value = values.get(name)
            stored = son.get(key)
            if isinstance(value, BaseDocument):
                if isinstance(stored, dict):
                    value._mark_saved(stored)
            elif isinstance(value, list) and isinstance(stored, list):
                for item, item_son in zip(value, stored, strict=False):
                    if isinstance(item, BaseDocument) and isinstance(item_son, dict):
                        item._mark_saved(item_son)

    def _apply_save_hooks(self, creating: bool) -> bool:
        """Run ``on_save``/auto-now hooks, here and in embedded documents that are new or
        changed; returns whether any value changed."""
        changed = self._apply_own_save_hooks(creating) if self._save_hook_fields else False
        values = self._state.values
        for name, _ in self._nested_plan:
            value = values.get(name)
            if value is None:
                continue
            items = value if isinstance(value, list) else (value,)
            for item in items:
                if (
                    isinstance(item, BaseDocument)
                    and (item._save_hook_fields or item._nested_plan)  # anything to run at all
                    and item._needs_save_hooks(creating)
                ):
                    changed = (
                        item._apply_save_hooks(creating or not item._state.persisted) or changed
                    )
        return changed

    def _needs_save_hooks(self, creating: bool) -> bool:
        if creating or not self._state.persisted:
            return True
        sets: dict[str, Any] = {}
        unsets: dict[str, Any] = {}
        self._delta("", sets, unsets)
        return bool(sets or unsets)

    def _apply_own_save_hooks(self, creating: bool) -> bool:
        changed = False
        values = self._state.values
        for field in self._save_hook_fields:
            current = values.get(field.name, MISSING)
            if current is MISSING:
                try:
                    current = getattr(self, field.name)
                except FieldNotLoadedError:  # not loaded by the projection: only a new value
                    value = field.value_on_save(self, None, creating)
                    if value is not None:
                        values[field.name] = field.check(self, value)
                        changed = True
                    continue
            value = field.value_on_save(self, current, creating)
            if value is not current:
                values[field.name] = None if value is None else field.check(self, value)
                changed = True
        return changed

    # --- dicts and JSON --------------------------------------------------------------------
    def to_dict(self, json: bool = False) -> dict[str, Any]:
        """The declared fields by attribute name (the identity under ``"id"``): embedded
        documents as dicts, references as their ids; fields a projection left out and
        passwords are left out. With ``json=True`` every value is JSON-safe (ids, UUIDs and
        decimals as strings, datetimes as ISO 8601, bytes as base64)::

            user.to_dict()           # {"id": ObjectId(...), "name": "Ada", ...}
            user.to_dict(json=True)  # {"id": "65f...", "name": "Ada", ...}
        """
        state = self._state
        result: dict[str, Any] = {}
        for name, field in self._fields.items():
            if field.secret or not state.loads(name):
                continue
            value = self._loaded_value(field)
            key = "id" if name == "_id" else name
            result[key] = None if value is None else field.to_primitive(value, json)
        return result

    def to_json(self, **dumps: Any) -> str:
        """``to_dict(json=True)`` as JSON text (keywords go to ``json.dumps``)."""
        return json_module.dumps(self.to_dict(json=True), **dumps)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, allow_extra: bool = False) -> Self:
        """A new, unsaved document from ``data`` (a request body, say), each value converted
        and checked by its field; ``"id"`` or ``"_id"`` sets the identity. A key the model
        does not declare is an error, so a client cannot set what the model does not expose,
        unless ``allow_extra=True`` keeps such keys as undeclared attributes. Every bad key and
        value is reported at once, in one ``InvalidDocumentError``."""
        model = cls.__name__
        if not isinstance(data, Mapping):
            raise InvalidDocumentError(
                f"{model}.from_dict() takes a mapping, got {describe_value(data)}",
                model=model,
                value=data,
            )
        fields = cls._fields
        values: dict[str, Any] = {}
        failures: list[InvalidDocumentError] = []
        for key, value in data.items():
            name = "_id" if key == "id" and "_id" in fields else key
            field = fields.get(name) if isinstance(name, str) else None
            if field is None:
                if allow_extra and isinstance(key, str) and not _unsettable(cls, key):
                    values[key] = value
                    continue
                known = ", ".join(sorted("id" if n == "_id" else n for n in fields))
                failures.append(
                    InvalidDocumentError(
                        f"{model}: unknown field {describe_value(key)} (known: {known})",
                        model=model,
                        field=str(key),
                        value=value,
                    )
                )
                continue
            try:
                values[name] = field.from_primitive(_embedded_from_dict(field, value, allow_extra))
            except InvalidDocumentError as error:
                failures.append(error.nested(model, name))
        document = cls()
        for name, value in values.items():
            try:
                setattr(document, name, value)
            except InvalidDocumentError as error:
                failures.append(error)
        try:
            document._validate(all_fields=True)  # required fields too: this is the input
        except InvalidDocumentError as error:
            failures.append(error)  # after the values': a path keeps its first message
        if failures:
            raise InvalidDocumentError.combine(model, failures)
        return document

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The JSON Schema (2020-12) of ``to_dict(json=True)`` (what ``from_dict`` takes):
        types, required fields, bounds, lengths, patterns, choices; embedded documents under
        ``$defs``."""
        definitions: dict[str, Any] = {}
        schema = cls.object_schema(definitions)
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
        if definitions:
            schema["$defs"] = definitions
        return schema

    @classmethod
    def object_schema(cls, definitions: dict[str, Any]) -> dict[str, Any]:
        """The schema of this model's object, embedded models going into ``definitions``."""
        properties: dict[str, Any] = {}
        required: list[str] = []
        for name, field in cls._fields.items():
            key = "id" if name == "_id" else name
            schema = field.json_schema(definitions)
            if field.required:
                required.append(key)
            elif schema:
                schema = {"anyOf": [schema, {"type": "null"}]}
            properties[key] = schema
        result: dict[str, Any] = {"title": cls.__name__, "type": "object"}
        result["properties"] = properties
        if required:
            result["required"] = required
        return result

    @classmethod
    def embedded_schema(cls, definitions: dict[str, Any]) -> dict[str, Any]:
        """The schema of this model embedded in another: a ``$ref`` into ``definitions``
        (added once; recursion-safe), or the schema itself when ``definitions`` is
        :class:`InlineSchemas` (a model inside itself is then any object)."""
        name = cls.__name__
        if isinstance(definitions, InlineSchemas):
            if name in definitions:
                return {"type": "object"}
            definitions[name] = True
            try:
                return cls.object_schema(definitions)
            finally:
                del definitions[name]
        if name not in definitions:
            definitions[name] = {}  # a placeholder while its own fields are walked
            definitions[name] = cls.object_schema(definitions)
        return {"$ref": f"#/$defs/{name}"}

    # --- server-side validation: MongoDB's ``$jsonSchema`` ---------------------------------
    @classmethod
    def bson_schema(cls) -> dict[str, Any]:
        """MongoDB's ``$jsonSchema`` of this model's stored documents (what a collection
        validator takes; see ``__validator__``): the stored keys (``db_field``), BSON types
        (``objectId``, ``date``, ``decimal``, ``binData``...), required fields, bounds,
        lengths and choices. Keys the model does not declare are allowed::

            schema = User.bson_schema()  # {"bsonType": "object", "required": [...], ...}
            await db.command("collMod", "users", validator={"$jsonSchema": schema})
        """
        return {"title": cls.__name__, **cls.object_bson_schema(set())}

    @classmethod
    def object_bson_schema(cls, expanding: set[Any]) -> dict[str, Any]:
        """The ``$jsonSchema`` of this model's object, stored alone or embedded; ``expanding``
        holds the models being expanded (one inside itself is then any object)."""
        if cls in expanding:
            return {"bsonType": "object"}
        expanding.add(cls)
        properties: dict[str, Any] = {}
        required: list[str] = []
        try:
            for field in cls._fields.values():
                key = field.db_field
                if key == "_id":  # never null: the driver or the server assigns one
                    schema = field.value_bson_schema(expanding)
                else:
                    schema = field.bson_schema(expanding)
                    if field.required:
                        required.append(key)
                if schema:
                    properties[key] = schema
        finally:
            expanding.discard(cls)
        result: dict[str, Any] = {"bsonType": "object"}
        if required:
            result["required"] = required
        if properties:
            result["properties"] = properties
        return result

    # --- pydantic (optional): ``TypeAdapter(User)``, FastAPI bodies and responses ----------
    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        """Validate a dict with ``from_dict`` (an instance passes as it is) and serialise
        with ``to_dict`` (``json=True`` in pydantic's JSON mode)."""
        from pydantic_core import PydanticCustomError, ValidationError, core_schema

        def validate(value: Any) -> Any:
            if isinstance(value, cls):
                return value
            try:
                return cls.from_dict(value)
            except InvalidDocumentError as error:  # one line error per bad field, by path
                details = []
                for path, message in (error.errors or {"": str(error)}).items():
                    loc = _sent_loc(value, path)
                    details.append(
                        {
                            "type": PydanticCustomError(
                                "invalid_document", "{message}", {"message": message}
                            ),
                            "loc": loc,
                            "input": _safe_input(cls, value, loc),
                        }
                    )
                raise ValidationError.from_exception_data(cls.__name__, details) from None  # type: ignore[arg-type]

        def serialize(document: BaseDocument, info: Any) -> dict[str, Any]:
            return document.to_dict(json=info.mode == "json")

        return core_schema.no_info_plain_validator_function(
            validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                serialize, info_arg=True
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: Any) -> dict[str, Any]:
        """The model's JSON Schema with embedded models inline (pydantic resolves no
        ``$defs`` of ours)."""
        return cls.object_schema(InlineSchemas())

    # --- references ----------------------------------------------------------------------
    @classmethod
    def reference_plan(cls) -> tuple[ReferencePlanEntry, ...]:
        """The fields that can hold references (directly, in lists, or in embedded
        documents): ``(name, field, kind, referenced class)``, built once per class."""
        plan = cls._reference_plan
        if plan is None:
            entries: list[ReferencePlanEntry] = []
            for name, field in cls._fields.items():
                item = field.element_field()
                in_list = item is not field
                referenced = item.referenced_document()
                if referenced is not None:
                    entries.append(
                        (name, field, REFERENCE_LIST if in_list else REFERENCE, referenced)
                    )
                elif item.holds_documents:
                    entries.append((name, field, EMBEDDED_LIST if in_list else EMBEDDED, None))
            plan = tuple(entries)
            cls._reference_plan = plan
        return plan

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


def _value_at(data: Any, path: str) -> Any:
    """What ``data`` holds at the dotted ``path`` (list items by index), or ``None``."""
    for part in path.split(".") if path else ():
        if isinstance(data, Mapping):
            data = data.get("_id" if part == "id" and "id" not in data else part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def _sent_loc(data: Any, path: str) -> tuple[str, ...]:
    """The dotted ``path`` of a ``from_dict`` error as a pydantic ``loc``, naming the key the
    client sent (``id`` for the identity when ``data`` gave it so)."""
    parts = path.split(".")
    if parts[0] == "_id" and isinstance(data, Mapping) and "_id" not in data and "id" in data:
        parts[0] = "id"
    return tuple(parts)


def _safe_input(model: type[BaseDocument], data: Any, loc: tuple[str, ...]) -> Any:
    """What ``data`` holds at ``loc``, hidden as in messages when a secret field (a password)
    holds it, or holds it inside a list."""
    value = _value_at(data, ".".join(loc))
    field: BaseField[Any] | None = None
    fields: Mapping[str, BaseField[Any]] = model._fields
    for part in loc:
        if field is not None and field.element_field() is not field and part.isdigit():
            field = field.element_field()
        else:
            if field is not None:
                embedded = field.embedded_document()
                fields = embedded._fields if embedded is not None else {}
            field = fields.get("_id" if part == "id" and "_id" in fields else part)
        if field is None:
            return value
        if field.secret:
            return field.safe_repr(value)
    while field is not None and field.element_field() is not field:
        field = field.element_field()
        if field.secret:
            return field.safe_repr(value)
    return value


def _same_bson(left: Any, right: Any) -> bool:
    """Whether two SON values are stored alike: equal, and of the same types at every level
    (``1`` and ``True``, ``1`` and ``1.0`` are equal in Python but not in BSON), keys in the
    same order."""
    if type(left) is not type(right) or left != right:  # the common, unequal case in C
        return False
    if type(left) is list:
        return all(map(_same_bson, left, right))
    if type(left) is dict:
        return list(left) == list(right) and all(_same_bson(left[key], right[key]) for key in left)
    return True


def _list_delta(
    path: str,
    son: list[Any],
    stored: Any,
    sets: dict[str, Any],
    pushes: dict[str, Any],
    pulls: dict[str, Any],
) -> None:
    """Record how the stored value at ``path`` becomes the list ``son``: appended items into
    ``pushes`` (``$push`` with ``$each``) when ``son`` is the stored list plus items at its
    end; removed values into ``pulls`` (``$pullAll``) when ``son`` is the stored list without
    every occurrence of those values; else the whole list into ``sets``. Only the first two
    keep another writer's concurrent appends or removals."""
    if type(stored) is list:
        count = len(stored)
        if len(son) > count:
            if _same_bson(son[:count], stored):
                pushes[path] = son[count:]
                return
        elif count:
            removed = _removed_values(son, stored)
            if removed:
                pulls[path] = removed
                return
    sets[path] = son


def _removed_values(son: list[Any], stored: list[Any]) -> list[Any] | None:
    """The values whose every occurrence ``stored`` lost to become ``son`` (each once), or
    ``None`` when ``son`` is not that: items reordered, replaced or added, or a value removed
    only in part (``$pullAll`` would remove the copies kept too)."""
    removed: list[Any] = []
    position = 0
    size = len(son)
    for item in stored:
        if position < size and son[position] == item:
            position += 1
        elif item not in removed:
            removed.append(item)
    if position < size or any(item in son for item in removed):
        return None
    return removed


class _NoDataclassFields(dict[str, Any]):
    """The ``__dataclass_fields__`` of documents: present, so that FastAPI reads a
    ``user: User`` parameter as the request body, but refusing to list fields."""

    def values(self) -> Any:
        raise TypeError("aiomotorengine documents are not dataclasses: use to_dict() / from_dict()")


BaseDocument.__dataclass_fields__ = _NoDataclassFields()

#: Set a document's ``_ame_state``/``_ame_origin`` slot directly: ``document._ame_state = x``
#: goes through ``__setattr__`` (any class defining ``__delattr__`` has both in one slot), a
#: third slower.
_set_state = vars(BaseDocument)["_ame_state"].__set__
_set_origin = vars(BaseDocument)["_ame_origin"].__set__


class InlineSchemas(dict[str, Any]):
    """``definitions`` for :meth:`BaseDocument.object_schema` that inlines embedded models
    instead of collecting them; its keys are the models being expanded."""


def _embedded_from_dict(field: BaseField[Any], value: Any, allow_extra: bool) -> Any:
    """``value`` with the dicts meant for embedded documents built by ``from_dict`` (so their
    unknown keys are refused too), in lists at any depth; other values unchanged. Every bad
    list item is reported at once."""
    if not field.holds_documents:
        return value
    item_field = field.element_field()
    if item_field is field:
        embedded = field.embedded_document()
        if embedded is None or not isinstance(value, Mapping):
            return value
        return embedded.from_dict(value, allow_extra=allow_extra)
    if not isinstance(value, list):
        return value
    name = _embedded_model(item_field).__name__
    items = []
    failures: list[InvalidDocumentError] = []
    for index, item in enumerate(value):
        try:
            items.append(_embedded_from_dict(item_field, item, allow_extra))
        except InvalidDocumentError as error:
            failures.append(error.nested(name, str(index)))
    if failures:
        raise InvalidDocumentError.combine(name, failures)
    return items


def _embedded_model(field: BaseField[Any]) -> Any:
    """The embedded document class ``field`` holds, in lists at any depth."""
    item_field = field.element_field()
    return field.embedded_document() if item_field is field else _embedded_model(item_field)


def _project_embedded(value: Any, db_field: str, projection: Projection) -> None:
    """Tell embedded documents loaded under a sub-field projection what they hold, so reading
    a sub-field the projection left out raises ``FieldNotLoadedError`` instead of giving
    ``None``."""
    for document in value if isinstance(value, list) else (value,):
        if isinstance(document, BaseDocument):
            inner = projection.inside(db_field, document._fields_by_db_field)
            if inner is None:
                return  # the whole value was loaded
            document._state.projection = inner


class CollectionDocument(BaseDocument):
    """A document stored in its own collection, with an ``_id``: the I/O-free base of
    :class:`aiomotorengine.Document`, and what the persistence layer works with."""

    __collection__: ClassVar[str]
    __alias__: ClassVar[str | None] = None
    #: The database the model's documents live in (``None``: the connection's default).
    __db__: ClassVar[str | None] = None
    __lazy__: ClassVar[bool] = True
    #: ``False``: the first operation does not create the declared indexes (deployments that
    #: manage indexes elsewhere; ``ensure_index()`` still does).
    __auto_index__: ClassVar[bool] = True
    #: ``True``: optimistic concurrency. Documents store a version number under the key
    #: ``_v`` (``VERSION_KEY``), 1 on insert and incremented by every save and ``update()``;
    #: a save of a copy whose version is no longer the stored one raises
    #: ``ConcurrentModificationError`` and writes nothing.
    __versioned__: ClassVar[bool] = False
    #: ``True``: ``ensure_indexes()``/``sync_indexes()`` also install :meth:`bson_schema` as
    #: the collection's validator, so that other writers cannot store what the model forbids.
    __validator__: ClassVar[bool] = False
    #: The fields of the collection's shard key (attribute names): ``save()``, ``delete()`` and
    #: ``reload()`` filter on their stored values, and changing them is refused.
    __shard_key__: ClassVar[tuple[str, ...]] = ()
    _shard_key_fields: ClassVar[tuple[BaseField[Any], ...]] = ()
    _has_collection: ClassVar[bool] = True
    #: The model a bound copy (:meth:`_bound`) was made from; the model itself otherwise.
    _unbound: ClassVar[type[CollectionDocument]]
    #: What a bound copy is bound to: ``(alias, db)``, either ``None`` when not given.
    _binding: ClassVar[tuple[str | None, str | None]] = (None, None)
    #: The model's bound copies, by ``(alias, db)``.
    _bound_classes: ClassVar[dict[tuple[str | None, str | None], type[CollectionDocument]]]

    _id = ObjectIdField(db_field="_id")

    @property
    def id(self) -> ObjectId | None:
        """The document's ``_id`` (``None`` until it is inserted)."""
        return self._id

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, CollectionDocument) or (
            type(self)._unbound is not type(other)._unbound  # a bound copy is its model
        ):
            return NotImplemented
        mine = self._id
        return mine is not None and mine == other._id

    def __hash__(self) -> int:
        identifier = self._id
        return hash(identifier) if identifier is not None else id(self)

    @classmethod
    def object_bson_schema(cls, expanding: set[Any]) -> dict[str, Any]:
        schema = super().object_bson_schema(expanding)
        if cls.__versioned__:
            schema.setdefault("properties", {})[VERSION_KEY] = {"bsonType": ["int", "long"]}
        return schema

    def __repr__(self) -> str:
        return f"<{type(self).__name__} _id={self._id!r}>"

    @classmethod
    def _bound(cls, alias: str | None, db: str | None) -> type[Self]:
        """A subclass of the model whose queries and new documents go to connection ``alias``
        and database ``db`` (``None``: as the model says), while the model itself is left as it
        is. One class per model and binding, made on first use; it is not registered by name
        (references find the model) and its documents equal the model's of the same ``_id``.
        """
        model = cls._unbound
        own_alias, own_db = cls._binding  # binding a bound copy again: what is not given stays
        key = (alias or own_alias, db or own_db)
        bound = model._bound_classes.get(key)
        if bound is None:
            namespace: dict[str, Any] = {
                "__module__": model.__module__,
                "__qualname__": model.__qualname__,
                "__collection__": model.__collection__,
                "_unbound": model,
                "_binding": key,
            }
            if key[0] is not None:
                namespace["__alias__"] = key[0]
            if key[1] is not None:
                namespace["__db__"] = key[1]
            metaclass: Any = type(model)
            bound = model._bound_classes[key] = metaclass(model.__name__, (model,), namespace)
        return bound  # type: ignore[return-value]

    # --- persistence protocol: what the queryset layer calls around its writes -----------
    def _bind(self, alias: str | None, db: str | None) -> None:
        """Run this document's next writes on connection ``alias`` and database ``db``
        (either ``None``: unchanged)."""
        state = self._state
        target_alias, target_db = state.target or (None, None)
        state.target = (alias or target_alias, db or target_db)

    def _insert_son(self, *, assign_id: bool = False) -> dict[str, Any]:
        """Run insert hooks, validate, and return the SON to insert (nothing is sent). With
        ``assign_id``, a missing ``_id`` is generated now and kept on the document."""
        self._apply_save_hooks(creating=True)
        self._validate(all_fields=True)
        son = self.to_son()
        if assign_id and son.get("_id") is None:
            son["_id"] = self._state.values["_id"] = ObjectId()
        if self.__versioned__:
            son[VERSION_KEY] = 1
        return son

    def _inserted(self, son: dict[str, Any], place: Place) -> None:
        """``son`` (with its ``_id``) was inserted, or written whole, at ``place``."""
        state = self._state
        state.values["_id"] = son["_id"]
        state.moved_to(place)
        self._mark_saved(son)

    def _whole_son(self) -> dict[str, Any]:
        """Run save hooks, validate, and return the whole document to write where it does
        not live yet (another connection or database). Refuses a document loaded in part."""
        state = self._state
        if not state.persisted:
            return self._insert_son(assign_id=True)
        if state.projection is not None:
            model = type(self).__name__
            raise InvalidDocumentError(
                f"{model} _id={self._stored_id()!r}: loaded in part by the query's projection "
                f"(only()/exclude()); writing it whole to another connection or database would "
                f"drop what was not loaded. Query it whole to copy it. Nothing was written",
                model=model,
                field="_id",
                value=self._stored_id(),
            )
        self._validate(all_fields=False)
        if self._needs_save_hooks(creating=False):
            self._apply_save_hooks(creating=False)
        return self.to_son()

    def _changes(self) -> Changes | None:
        """Run update hooks, validate, and return the update for what changed since the
        document was loaded or saved (``$set``/``$unset``; ``$push``/``$pullAll`` for lists
        changed only by appends or only by removals; ``$inc`` of the version of a versioned
        model, whose filter then names the stored version); ``None`` when nothing changed.
        Refuses a change of ``_id`` and a whole ``$set`` (or ``$pullAll``) of a value the
        projection loaded only in part."""
        # Validate first: values changed in place (a dict appended to a list of embedded
        # documents, a wrong item type) must fail as InvalidDocumentError, not in to_son.
        self._validate(all_fields=False)
        sets: dict[str, Any] = {}
        unsets: dict[str, Any] = {}
        pushes: dict[str, Any] = {}
        pulls: dict[str, Any] = {}
        self._delta("", sets, unsets, pushes, pulls)
        if not (sets or unsets or pushes or pulls):
            return None
        if self._apply_save_hooks(creating=False):
            sets.clear()
            unsets.clear()
            pushes.clear()
            pulls.clear()
            self._delta("", sets, unsets, pushes, pulls)
        if "_id" in sets or "_id" in unsets:
            raise self._id_changed()
        if self._shard_key_fields:
            self._refuse_shard_key_changes(sets, unsets)
        state = self._state
        if state.projection is not None:
            self._refuse_partial_overwrites(sets, pulls, state.projection)
        update: dict[str, dict[str, Any]] = {}
        if sets:
            update["$set"] = sets
        if unsets:
            update["$unset"] = unsets
        if pushes:
            update["$push"] = {path: {"$each": items} for path, items in pushes.items()}
        if pulls:
            update["$pullAll"] = pulls
        selector = self._stored_filter()
        if self.__versioned__:
            selector[VERSION_KEY] = state.raw.get(VERSION_KEY)
            update["$inc"] = {VERSION_KEY: 1}
        return Changes(selector, update)

    def _updated(self, changes: Changes, place: Place) -> None:
        """The update from :meth:`_changes` was applied at ``place``."""
        state = self._state
        state.apply_update(changes.update)
        state.moved_to(place)
        self._mark_saved(state.raw)

    def _reloaded(self, son: dict[str, Any], place: Place) -> None:
        """Replace every local change with ``son``, just read from ``place``."""
        attributes = self.__dict__
        for name in [name for name in attributes if not name.startswith("_")]:
            del attributes[name]
        self._state.reset(son, place)

    def _stored_id(self) -> Any:
        """The ``_id`` in the database (an ``_id`` assigned to a saved document is not it:
        it never selects another document)."""
        state = self._ame_state
        if isinstance(state, DocumentState):
            return state.stored_id()
        return state.get("_id")  # loaded, not touched: its SON is all there is

    def _stored_filter(self) -> dict[str, Any]:
        """The filter that selects this document's stored copy: its ``_id`` and the stored
        values of the fields ``__shard_key__`` names (a sharded cluster then routes the write
        to the one shard holding the document)."""
        selector = {"_id": self._stored_id()}
        state = self._state
        for field in self._shard_key_fields:
            key = field.db_field
            if not state.loads(field.name):
                model = type(self).__name__
                raise InvalidDocumentError(
                    f"{model}.{field.name}: part of the shard key but not loaded by the query's "
                    f"projection; query it with the shard key to write it. Nothing was written",
                    model=model,
                    field=field.name,
                )
            value = state.raw.get(key, MISSING)
            if value is MISSING and not state.persisted:  # never stored: the value given
                value = state.values.get(field.name)
                value = None if value is None else field.to_son(value)
            selector[key] = None if value is MISSING else value
        return selector

    def _refuse_shard_key_changes(self, sets: dict[str, Any], unsets: dict[str, Any]) -> None:
        """A saved document's shard key places it on its shard: changing it is refused."""
        for field in self._shard_key_fields:
            key = field.db_field
            prefix = key + "."
            if any(path == key or path.startswith(prefix) for path in (*sets, *unsets)):
                model = type(self).__name__
                value = self._state.values.get(field.name)
                stored = self._state.raw.get(key)
                names = ", ".join(f.name for f in self._shard_key_fields)
                raise InvalidDocumentError(
                    f"{model}.{field.name}: cannot change the shard key ({names}) of a saved "
                    f"document (stored {field.safe_repr(stored)}, now {field.safe_repr(value)}): "
                    f"it places the document on its shard; delete the document and insert a new "
                    f"one instead. Nothing was written",
                    model=model,
                    field=field.name,
                    value=value,
                )

    def _id_changed(self) -> InvalidDocumentError:
        model = type(self).__name__
        return InvalidDocumentError(
            f"{model}._id: cannot change the _id of a saved document (stored "
            f"{self._stored_id()!r}, now {describe_value(self._id)}): MongoDB's _id is "
            f"immutable; insert a new document instead. Nothing was written",
            model=model,
            field="_id",
            value=self._id,
        )

    def _refuse_partial_overwrites(
        self, sets: dict[str, Any], pulls: dict[str, Any], projection: Projection
    ) -> None:
        """A projection of sub-fields (``only("comments__text")``, ``exclude("address__zip")``)
        loads parts of a value; ``$set`` of the whole value would drop the parts not loaded,
        and ``$pullAll`` of partly loaded items would match no stored item."""
        for key, value in [*sets.items(), *pulls.items()]:
            path = projection.partial_path_under(key)
            if path is None or (key in sets and self._is_new_value(key)):
                continue
            field = self._fields_by_db_field.get(key.split(".", 1)[0])
            name = field.name if field is not None else key
            model = type(self).__name__
            raise InvalidDocumentError(
                f"{model}.{name}: loaded partially by the query's projection ({path!r}); "
                f"saving it whole would drop what was not loaded. Query it whole to change "
                f"it. Nothing was written",
                model=model,
                field=name,
                value=value,
            )

    def _is_new_value(self, key: str) -> bool:
        """Whether the top-level value at ``key`` is embedded documents assigned anew (none of
        them loaded). Other values (dicts, lists) may have been changed in place: never new."""
        field = self._fields_by_db_field.get(key)
        if field is None or not field.holds_documents:
            return False
        state = self._state
        value = state.values.get(field.name)
        stored = state.raw.get(key)
        items = value if isinstance(value, list) else [value]
        loaded_items = stored if isinstance(stored, list) else [stored]
        return not any(
            isinstance(item, BaseDocument) and any(item._state.raw is son for son in loaded_items)
            for item in items
        )


class BaseEmbeddedDocument(BaseDocument):
    """A document stored inside another one (no collection, no ``_id``): the I/O-free base of
    :class:`aiomotorengine.EmbeddedDocument`."""

    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):
            return NotImplemented
        return self.to_son() == other.to_son()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_son()!r}>"
