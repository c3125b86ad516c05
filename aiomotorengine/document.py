"""``Document`` and ``EmbeddedDocument``: declaration, hydration, validation, change tracking.

A loaded document keeps the raw SON the driver returned (``_raw``) and converts a field only
when it is first read (``_values`` caches it). Saving compares what was read or assigned with
the raw SON and sends only the difference, so keys the model does not know and fields a
projection did not load are never touched.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from aiomotorengine.errors import FieldNotLoadedError, InvalidDocumentError, describe_value
from aiomotorengine.fields.base_field import IMMUTABLE_DEFAULT_TYPES, MISSING, BaseField
from aiomotorengine.fields.object_id_field import ObjectIdField

if TYPE_CHECKING:
    from typing_extensions import Self

    from aiomotorengine.queryset import QuerySet

__all__ = ["BaseDocument", "Document", "EmbeddedDocument", "get_document"]

D = TypeVar("D", bound="Document")

_document_registry: dict[str, type[BaseDocument]] = {}


def get_document(name: str, module: str | None = None) -> type[BaseDocument]:
    """The document class registered under ``name`` (class name or ``module.ClassName``);
    with ``module``, a class of that name defined in that module wins."""
    if module:
        found = _document_registry.get(f"{module}.{name}")
        if found is not None:
            return found
    try:
        return _document_registry[name]
    except KeyError:
        raise LookupError(f"no document class named {name!r} is defined") from None


def _is_computed_default(default: Any) -> bool:
    """Whether a default must be made per instance (callables, mutable values)."""
    return callable(default) or not (
        default is None or isinstance(default, IMMUTABLE_DEFAULT_TYPES)
    )


# _raw, _values, _loaded, _persisted, _alias: what __init__/from_son put in __dict__.
_INTERNAL_STATE_SIZE = 5


def _project_embedded(value: Any, db_field: str, loaded: frozenset[str]) -> None:
    """Tell embedded documents loaded under a sub-field projection what they hold, so reading
    a sub-field the projection left out raises ``FieldNotLoadedError`` instead of giving
    ``None``. ``loaded`` holds ``"address.street"`` for ``only("address__street")`` and
    ``"!address.zip"`` for ``exclude("address__zip")`` (stored paths)."""
    prefix = db_field + "."
    included = [path[len(prefix) :] for path in loaded if path.startswith(prefix)]
    excluded = [path[len(prefix) + 1 :] for path in loaded if path.startswith("!" + prefix)]
    if not included and not excluded:
        return
    for document in value if isinstance(value, list) else (value,):
        if not isinstance(document, BaseDocument):
            continue
        by_db_field = document._fields_by_db_field
        if included:
            names = {
                by_db_field[p.split(".", 1)[0]].name
                for p in included
                if p.split(".", 1)[0] in by_db_field
            }
            names.update(p for p in included if "." in p)
        else:
            gone = {by_db_field[p].name for p in excluded if p in by_db_field}
            names = (set(document._fields) - gone) | {"!" + p for p in excluded if "." in p}
        document.__dict__["_loaded"] = frozenset(names)


class DocumentMetaclass(type):
    """Collects the field descriptors once per class and precomputes the per-class maps."""

    def __new__(
        mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any
    ) -> DocumentMetaclass:
        cls: Any = super().__new__(mcs, name, bases, namespace, **kwargs)
        fields: dict[str, BaseField[Any]] = {}
        for base in reversed(cls.__mro__[1:]):
            fields.update(getattr(base, "_fields", {}))
        for attribute, value in namespace.items():
            if isinstance(value, BaseField):
                fields[attribute] = value

        by_db_field: dict[str, BaseField[Any]] = {}
        for attribute, field in fields.items():
            other = by_db_field.get(field.db_field)
            if other is not None:
                raise TypeError(
                    f"{name}: fields {other.name!r} and {attribute!r} both use "
                    f"db_field {field.db_field!r}"
                )
            by_db_field[field.db_field] = field

        cls._fields = fields
        cls._fields_by_db_field = by_db_field
        cls._required_fields = tuple(f for f in fields.values() if f.required)
        cls._save_hook_fields = tuple(f for f in fields.values() if f.has_save_hook)
        cls._constant_defaults = {
            attribute: field.default
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
        cls._query_cache = {}
        if "__collection__" not in namespace and cls._has_collection:
            cls.__collection__ = name
        alias = namespace.get("__alias__") or namespace.get("__connection__")
        if alias is not None:
            cls.__alias__ = alias
        _document_registry[name] = cls
        _document_registry[f"{cls.__module__}.{name}"] = cls
        return cls  # type: ignore[no-any-return]


class BaseDocument(metaclass=DocumentMetaclass):
    """What documents and embedded documents share."""

    _fields: ClassVar[dict[str, BaseField[Any]]] = {}
    _fields_by_db_field: ClassVar[dict[str, BaseField[Any]]] = {}
    _required_fields: ClassVar[tuple[BaseField[Any], ...]] = ()
    _save_hook_fields: ClassVar[tuple[BaseField[Any], ...]] = ()
    _constant_defaults: ClassVar[dict[str, Any]] = {}
    _computed_defaults: ClassVar[tuple[BaseField[Any], ...]] = ()
    _validation_plan: ClassVar[tuple[tuple[str, BaseField[Any]], ...]] = ()
    _nested_plan: ClassVar[tuple[tuple[str, str], ...]] = ()
    _son_plan: ClassVar[tuple[tuple[str, str, BaseField[Any], bool], ...]] = ()
    _query_cache: ClassVar[dict[str, Any]] = {}
    _has_collection: ClassVar[bool] = False

    # Instance state (in ``__dict__``; the leading underscore keeps it out of the SON).
    _raw: dict[str, Any]
    _values: dict[str, Any]
    _loaded: frozenset[str] | None
    _persisted: bool
    _alias: str | None

    def __init__(self, **kwargs: Any) -> None:
        cls = type(self)
        values = dict(cls._constant_defaults)
        for defaulted in cls._computed_defaults:
            if defaulted.name not in kwargs:
                values[defaulted.name] = defaulted.get_default()
        self.__dict__.update(_raw={}, _values=values, _loaded=None, _persisted=False, _alias=None)
        fields = cls._fields
        dynamic = None
        for name, value in kwargs.items():
            field = fields.get(name)
            if field is None:
                dynamic = dynamic or {}
                dynamic[name] = value
                continue
            if value is not None and type(value) not in field.fast_types:
                value = field.check(self, value)
            values[name] = value
        if dynamic:
            for name, value in dynamic.items():
                setattr(self, name, value)

    @classmethod
    def from_son(
        cls,
        son: dict[str, Any],
        *,
        loaded: frozenset[str] | None = None,
        alias: str | None = None,
    ) -> Self:
        """Wrap a raw document from MongoDB; fields convert when first read.

        ``loaded`` names the fields a projection loaded (``None``: all of them).
        """
        return cls.hydrate([son], loaded=loaded, alias=alias)[0]

    @classmethod
    def hydrate(
        cls,
        sons: list[dict[str, Any]],
        *,
        loaded: frozenset[str] | None = None,
        alias: str | None = None,
    ) -> list[Self]:
        """``from_son`` for many raw documents: the hot path of every query. Costs one object
        and two small dicts per document, and no call per field."""
        new = cls.__new__
        state = {"_loaded": loaded, "_persisted": True, "_alias": alias}
        documents: list[Self] = []
        append = documents.append
        for son in sons:
            document = new(cls)
            document_state = document.__dict__
            document_state.update(state)
            document_state["_raw"] = son
            document_state["_values"] = {}
            append(document)
        return documents

    def _load_field(self, field: BaseField[Any]) -> Any:
        raw = self._raw.get(field.db_field, MISSING)
        if raw is MISSING:
            loaded = self._loaded
            if loaded is not None and field.name not in loaded:
                raise FieldNotLoadedError(
                    f"{type(self).__name__}.{field.name} was not loaded by the query's "
                    f"projection (only()/exclude()); query it to read it"
                )
            value = field.get_default() if self._persisted else None
            if value is not None:
                # Remember the default shown for a missing key: saving it unchanged is no change.
                self.__dict__.setdefault("_defaulted", {})[field.name] = field.to_son(value)
        elif raw is None or field.is_identity:
            value = raw
        else:
            value = field.from_son(raw)
            if field.holds_documents and self._loaded is not None:
                _project_embedded(value, field.db_field, self._loaded)
        self._values[field.name] = value
        return value

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails: keys the model does not declare, or a field
        # whose descriptor raised an AttributeError subclass (not loaded): raise it again.
        field = type(self)._fields.get(name)
        if field is not None:
            return field.__get__(self, type(self))
        if not name.startswith("_"):
            raw = self.__dict__.get("_raw")
            # A field's db_field (``n`` for ``name``) is the field's, never a dynamic attribute.
            if (
                raw is not None
                and name in raw
                and name not in type(self)._fields_by_db_field
                and name not in self.__dict__.get("_deleted", ())
            ):
                value = copy.deepcopy(raw[name])
                self.__dict__[name] = value
                return value
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        """``del doc.field`` clears a field; ``del doc.key`` removes a key the model does not
        declare. Either way the next save sends ``$unset``."""
        if name in type(self)._fields:
            self._values[name] = None
            return
        state = self.__dict__
        if name.startswith("_"):
            object.__delattr__(self, name)
            return
        found = state.pop(name, MISSING) is not MISSING
        if name in self._raw and name not in type(self)._fields_by_db_field:
            state.setdefault("_deleted", set()).add(name)
            found = True
        if not found:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _dynamic_items(self) -> list[tuple[str, Any]]:
        """Attributes assigned or read that the model does not declare."""
        state = self.__dict__
        if len(state) == _INTERNAL_STATE_SIZE:  # the common case: nothing but our own state
            return []
        return [(name, value) for name, value in state.items() if not name.startswith("_")]

    # --- validation ----------------------------------------------------------------------
    def validate(self) -> bool:
        """Validate every field; raise ``InvalidDocumentError`` naming model, field and value."""
        self._validate(all_fields=True)
        return True

    def _validate(self, *, all_fields: bool) -> None:
        # Values were checked when assigned (or come from the database); only those that can
        # change in place (lists, dicts, embedded documents) are checked again here.
        values = self._values
        check_missing = all_fields and not self._persisted
        for name, field in self._validation_plan:
            if name in values:
                value = values[name]
            elif check_missing:
                value = None
            else:
                continue  # never read nor assigned: the stored value is not ours to judge
            if field.required and (value is None or field.is_empty(value)):
                raise InvalidDocumentError(
                    f"{type(self).__name__}.{name} is required",
                    model=type(self).__name__,
                    field=name,
                    value=value,
                )
            if value is not None and field.revalidate_on_save:
                values[name] = field.check(self, value)
        if len(self.__dict__) != _INTERNAL_STATE_SIZE:
            self._check_dynamic_names()

    def _check_dynamic_names(self) -> None:
        """Refuse attribute names that MongoDB would read as something else: a path (``.``),
        an operator (``$``), or the stored key (``db_field``) of a declared field."""
        for name, value in self._dynamic_items():
            if "." in name or name.startswith("$"):
                reason = "'.' separates the parts of a path and '$' starts an operator"
            elif name in self._fields_by_db_field:
                reason = f"it is the stored key of field {self._fields_by_db_field[name].name!r}"
            else:
                continue
            model = type(self).__name__
            raise InvalidDocumentError(
                f"{model}: attribute {name!r} (value {describe_value(value)}) cannot be stored: "
                f"{reason}",
                model=model,
                field=name,
                value=value,
            )

    # --- SON -----------------------------------------------------------------------------
    def to_son(self) -> dict[str, Any]:
        """The whole document as BSON-ready SON (stored keys unknown to the model included)."""
        values = self._values
        son: dict[str, Any] = {}
        raw = self._raw
        for name, db_field, field, identity in self._son_plan:
            value = values.get(name, MISSING)
            if value is MISSING:
                if db_field in raw:
                    son[db_field] = raw[db_field]
            elif value is not None:
                son[db_field] = value if identity else field.to_son(value)
        if raw:
            deleted = self.__dict__.get("_deleted", ())
            for key, value in raw.items():
                if key not in son and key not in self._fields_by_db_field and key not in deleted:
                    son[key] = value
        for name, value in self._dynamic_items():
            son[name] = copy.deepcopy(value)
        return son

    def _delta(self, prefix: str, sets: dict[str, Any], unsets: dict[str, Any]) -> None:
        """Collect ``$set``/``$unset`` entries for what differs from the stored SON."""
        raw = self._raw
        fields = self._fields
        for name, value in self._values.items():
            field = fields[name]
            key = field.db_field
            stored = raw.get(key, MISSING)
            if value is None:
                if stored is not MISSING:
                    if stored is not None:  # a stored null stays as is
                        unsets[prefix + key] = ""
                elif self._loaded is not None and name not in self._loaded:
                    # Cleared without being loaded (projection): the stored value is unknown.
                    unsets[prefix + key] = ""
                continue
            if isinstance(value, BaseDocument) and value._raw is stored:
                # The embedded document was loaded from there: send its changes as paths.
                value._delta(f"{prefix}{key}.", sets, unsets)
                continue
            son = field.to_son(value)
            if stored is MISSING:
                defaulted = self.__dict__.get("_defaulted")
                if defaulted is None or defaulted.get(name, MISSING) != son:
                    sets[prefix + key] = son
            elif son != stored or type(son) is not type(stored):
                sets[prefix + key] = son
        for name, value in self._dynamic_items():
            stored = raw.get(name, MISSING)
            if stored is MISSING or value != stored:
                sets[prefix + name] = copy.deepcopy(value)
        state = self.__dict__
        for name in state.get("_deleted", ()):
            if name in raw and name not in state:  # not assigned again since
                unsets[prefix + name] = ""

    def _mark_saved(self, son: dict[str, Any]) -> None:
        """Make ``son`` the stored state (after a successful write)."""
        state = self.__dict__
        state["_raw"] = son
        state["_persisted"] = True
        state.pop("_deleted", None)  # the removed keys are gone from the stored SON too
        values = self._values
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
        changed = self._apply_own_save_hooks(creating)
        values = self._values
        for name, _ in self._nested_plan:
            value = values.get(name)
            items = value if isinstance(value, list) else (value,)
            for item in items:
                if (
                    isinstance(item, BaseDocument)
                    and (item._save_hook_fields or item._nested_plan)  # anything to run at all
                    and item._needs_save_hooks(creating)
                ):
                    changed = item._apply_save_hooks(creating or not item._persisted) or changed
        return changed

    def _needs_save_hooks(self, creating: bool) -> bool:
        if creating or not self._persisted:
            return True
        sets: dict[str, Any] = {}
        unsets: dict[str, Any] = {}
        self._delta("", sets, unsets)
        return bool(sets or unsets)

    def _apply_own_save_hooks(self, creating: bool) -> bool:
        changed = False
        for field in self._save_hook_fields:
            current = self._values.get(field.name, MISSING)
            if current is MISSING:
                try:
                    current = getattr(self, field.name)
                except FieldNotLoadedError:  # not loaded by the projection: only a new value
                    value = field.value_on_save(self, None, creating)
                    if value is not None:
                        self._values[field.name] = field.check(self, value)
                        changed = True
                    continue
            value = field.value_on_save(self, current, creating)
            if value is not current:
                self._values[field.name] = None if value is None else field.check(self, value)
                changed = True
        return changed

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class _QuerySetDescriptor:
    """``Model.objects``: a fresh queryset bound to the model on every access."""

    def __get__(self, instance: object, owner: type[D]) -> QuerySet[D]:
        if instance is not None:
            raise AttributeError("objects is reached through the model class, not an instance")
        from aiomotorengine.queryset import QuerySet

        return QuerySet(owner)


class Document(BaseDocument):
    """A model stored in its own collection.

    ``__collection__`` names it (default: the class name); ``__alias__`` (or
    ``__connection__``) picks the connection; ``__lazy__ = False`` loads references eagerly::

        class User(Document):
            __collection__ = "users"
            name = StringField(required=True)

        user = await User.objects.create(name="Ada")
    """

    __collection__: ClassVar[str]
    __alias__: ClassVar[str | None] = None
    __lazy__: ClassVar[bool] = True
    _has_collection: ClassVar[bool] = True

    objects: ClassVar[_QuerySetDescriptor] = _QuerySetDescriptor()

    _id = ObjectIdField(db_field="_id")

    @property
    def id(self) -> Any:
        """The document's ``_id`` (``None`` until it is inserted)."""
        return self._id

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if type(self) is not type(other):
            return NotImplemented
        mine = self._id
        return mine is not None and mine == other._id

    def __hash__(self) -> int:
        identifier = self._id
        return hash(identifier) if identifier is not None else id(self)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} _id={self._id!r}>"

    def using(self, alias: str | None = None, *, connection: str | None = None) -> Self:
        """Run this document's ``save``/``delete``/``reload`` on connection ``alias``
        (``connection=`` is the cqlengine spelling): ``await auto.using("cluster1").save()``."""
        chosen = alias or connection
        if chosen is None:
            raise TypeError("using() needs a connection alias")
        self.__dict__["_alias"] = chosen
        return self

    async def save(self, alias: str | None = None) -> Self:
        """Insert the document, or send what changed since it was loaded ($set/$unset).

        Validates first and writes nothing when validation fails. Returns the document.
        """
        from aiomotorengine.queryset import save_document

        return await save_document(self, alias)

    async def delete(self, alias: str | None = None) -> int:
        """Delete the document; returns how many were deleted (0 or 1)."""
        from aiomotorengine.queryset import delete_document

        return await delete_document(self, alias)

    async def reload(self, alias: str | None = None) -> Self:
        """Refresh every field from the database, dropping unsaved changes."""
        from aiomotorengine.queryset import reload_document

        return await reload_document(self, alias)

    async def load_references(self, fields: list[str] | None = None) -> Self:
        """Load lazy references (all, or those named) with one query per collection."""
        from aiomotorengine.queryset import load_references

        await load_references([self], fields)
        return self

    @classmethod
    async def ensure_index(cls, alias: str | None = None) -> int:
        """Create the indexes the model declares (idempotent); returns how many::

        await User.ensure_index()
        """
        from aiomotorengine.management import ensure_indexes

        return await ensure_indexes(cls, alias=alias)


class EmbeddedDocument(BaseDocument):
    """A document stored inside another one (no collection, no ``_id``)."""

    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):
            return NotImplemented
        return self.to_son() == other.to_son()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_son()!r}>"
