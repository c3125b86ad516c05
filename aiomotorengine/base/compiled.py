"""Code generated per model at class creation: its ``__init__``, ``to_son`` and ``_validate``.

Like ``dataclasses`` and ``attrs``, the document metaclass writes these three methods for each
model as Python source, one function each with no loop over fields and no call per field where
the field can say inline what it checks or converts (``BaseField.inline_check``,
``inline_son``, ``inline_empty``). They do exactly what the generic methods of
``BaseDocument`` do, every value still checked by its field; a value the inline test does not
accept goes through the field's ``check()``, whose errors are the same.

A generated method serves only the class it was written for: called on a subclass (through
``super()`` from a user's own ``__init__``, say) it hands over to the generic method. A model
keeps the generic methods where generated ones could differ: a class or base of its own
defining one of the three methods, field names that do not read back as themselves in Python
source (no identifiers, keywords, NFKC-normalised names, names of the generated code), and,
for ``__init__``, a user's field ``check()`` (it may read the document under construction).
"""

from __future__ import annotations

import builtins
import keyword
import unicodedata
from collections.abc import Callable
from typing import Any

from aiomotorengine.base.fields import MISSING, BaseField
from aiomotorengine.base.state import DocumentState
from aiomotorengine.errors import InvalidDocumentError

__all__ = ["compile_model"]

#: The attribute marking a function as written here, naming the model it was written for.
_MARK = "__compiled_for__"

# Names the generated code uses besides the fields' own: a field may not shadow them.
_RESERVED = frozenset({"self", "all_fields", "__debug__"})
_PREFIX = "_g_"
_BUILTINS = frozenset(vars(builtins))


def compile_model(cls: Any, generic: Any) -> None:
    """Write ``__init__``, ``to_son`` and ``_validate`` for the model ``cls`` (whose fields are
    ``cls._fields``) where it uses the generic ones of ``generic`` (``BaseDocument``)."""
    fields: dict[str, BaseField[Any]] = cls._fields
    if not all(_usable_name(name) for name in fields):
        return
    names = [
        (name, f"{_PREFIX}f{index}", field) for index, (name, field) in enumerate(fields.items())
    ]
    namespace: dict[str, Any] = {
        "__name__": cls.__module__,  # the functions' __module__
        "_g_cls": cls,
        "_g_model": cls.__name__,
        "_g_M": MISSING,
        "_g_Invalid": InvalidDocumentError,
        "_g_new_state": DocumentState.__new__,
        "_g_State": DocumentState,
        "_g_set_state": vars(generic)["_ame_state"].__set__,  # faster than self._ame_state = ...
        "_g_generic_init": generic.__init__,
        "_g_generic_to_son": generic.to_son,
        "_g_generic_validate": generic._validate,
        "_g_set_dynamic": generic._set_dynamic,
        "_g_son_tail": generic._son_tail,
        "_g_required": generic._required_error,
    }
    for _, global_name, field in names:
        namespace[global_name] = field
    for index, (attribute, _, _) in enumerate(names):
        namespace[f"_g_d{index}"] = cls._constant_defaults.get(attribute)
    sources = {
        "__init__": _init_source(cls, names),
        "to_son": _to_son_source(names),
        "_validate": _validate_source(cls, names),
    }
    if any(_reads_document(field) for field in fields.values()):
        del sources["__init__"]  # a check may read the document: only the generic one fills it
    for method, source in sources.items():
        if not _uses_generic(cls, method, generic):
            continue
        code = compile(source, f"<aiomotorengine {cls.__qualname__}.{method}>", "exec")
        exec(code, namespace)  # our own source: identifiers and repr() of strings only
        function: Callable[..., Any] = namespace.pop(method)
        function.__qualname__ = f"{cls.__qualname__}.{method}"
        function.__doc__ = getattr(generic, method).__doc__
        setattr(function, _MARK, cls)
        setattr(cls, method, function)


def _usable_name(name: str) -> bool:
    """Whether ``name`` reads back as itself as a parameter: an identifier Python does not
    normalise (NFKC: ``"\ufb01le"`` is ``file`` in source) and no name of the generated code."""
    return (
        name.isidentifier()
        and unicodedata.normalize("NFKC", name) == name
        and not keyword.iskeyword(name)
        and name not in _RESERVED
        and not name.startswith(_PREFIX)
    )


def _reads_document(field: BaseField[Any]) -> bool:
    """Whether a check of ``field`` (or of its list items) is a user's, which may read other
    fields of the document being built: the generic ``__init__`` sets them as it goes."""
    while True:
        if field._custom_checks:
            return True
        item = field.element_field()
        if item is field:
            return False
        field = item


def _uses_generic(cls: type, method: str, generic: type) -> bool:
    """Whether ``cls`` would run the generic ``method``: no class between it and ``generic``
    defines its own (one written here for a base does not count)."""
    for klass in cls.__mro__:
        if klass is generic:
            return True
        own = vars(klass).get(method)
        if own is not None and getattr(own, _MARK, None) is None:
            return False
    return False


def _init_source(cls: Any, names: list[tuple[str, str, BaseField[Any]]]) -> str:
    parameters = ", ".join(f"{name}=_g_M" for name, _, _ in names)
    # Parameters are locals: one named like a builtin (``type``, ``format``) would hide it from
    # the code below, which then takes the values as arguments of names of its own.
    shadowing = any(name in _BUILTINS for name, _, _ in names)
    variables = [f"_g_a{index}" if shadowing else name for index, (name, _, _) in enumerate(names)]
    lines = [f"def __init__(self, *, {parameters}, **_g_extra):"]
    if shadowing:
        given = ", ".join(name for name, _, _ in names)
        lines += [
            f"    _g_init(self, _g_extra, {given})",
            f"def _g_init(self, _g_extra, {', '.join(variables)}):",
        ]
    packed = ", ".join(
        f"({name!r}, {var})" for (name, _, _), var in zip(names, variables, strict=True)
    )
    lines += [
        "    if type(self) is not _g_cls:  # a subclass's own __init__ called ours",
        f"        _g_given = {{_g_k: _g_v for _g_k, _g_v in ({packed},) if _g_v is not _g_M}}",
        "        return _g_generic_init(self, **_g_given, **_g_extra)",
        "    _g_state = _g_new_state(_g_State)",
        "    _g_state.raw = {}",
        "    _g_state.projection = _g_state.alias = _g_state.db = _g_state.target = None",
        "    _g_state.persisted = False",
        "    _g_state.defaulted = _g_state.normalised = _g_state.deleted = _g_state.saving = None",
        "    _g_set_state(self, _g_state)",
        "    _g_failures = None",
    ]
    computed = {field.name for field in cls._computed_defaults}
    for index, ((name, global_name, field), var) in enumerate(zip(names, variables, strict=True)):
        default = f"{global_name}.get_default()" if name in computed else f"_g_d{index}"
        lines.append(f"    if {var} is _g_M:")
        lines.append(f"        {var} = {default}")
        lines.extend(_checked(var, global_name, field, f"{var} = ", "    ", "elif"))
    values = ", ".join(
        f"{name!r}: {var}" for (name, _, _), var in zip(names, variables, strict=True)
    )
    lines += [
        f"    _g_state.values = {{{values}}}",
        "    if _g_extra:",
        "        _g_set_dynamic(self, _g_extra, _g_failures)",
        "    elif _g_failures:",
        "        raise _g_Invalid.combine(_g_model, _g_failures)",
    ]
    return "\n".join(lines) + "\n"


def _checked(
    value: str, global_name: str, field: BaseField[Any], target: str, indent: str, keyword: str
) -> list[str]:
    """Lines checking the non-``None`` ``value`` by ``field``: inline when the field can say
    what it accepts as it is, else its ``check()``; a failure joins ``_g_failures``."""
    inline = field.inline_check(value, global_name)
    condition = f"{value} is not None" + (f" and not ({inline})" if inline else "")
    return [
        f"{indent}{keyword} {condition}:",
        f"{indent}    try:",
        f"{indent}        {target}{global_name}.check(self, {value})",
        f"{indent}    except _g_Invalid as _g_error:",
        f"{indent}        _g_failures = [*(_g_failures or ()), _g_error]",
    ]


def _to_son_source(names: list[tuple[str, str, BaseField[Any]]]) -> str:
    lines = [
        "def to_son(self):",
        "    if type(self) is not _g_cls:",
        "        return _g_generic_to_son(self)",
        "    _g_state = self._ame_state",
        "    if type(_g_state) is not _g_State:  # loaded, not touched: made from the SON",
        "        _g_state = self._state",
        "    _g_values = _g_state.values",
        "    _g_raw = _g_state.raw",
        "    _g_son = {}",
    ]
    for name, global_name, field in names:
        key = field.db_field
        lines += [
            f"    _g_v = _g_values.get({name!r}, _g_M)",
            "    if _g_v is _g_M:",
            f"        if {key!r} in _g_raw:",
            f"            _g_son[{key!r}] = _g_raw[{key!r}]",
            "    elif _g_v is not None:",
            f"        _g_son[{key!r}] = {field.inline_son('_g_v', global_name)}",
        ]
    lines += [
        "    if _g_raw or self.__dict__:",
        "        _g_son_tail(self, _g_son)",
        "    return _g_son",
    ]
    return "\n".join(lines) + "\n"


def _validate_source(cls: Any, names: list[tuple[str, str, BaseField[Any]]]) -> str:
    lines = [
        "def _validate(self, *, all_fields):",
        "    if type(self) is not _g_cls:",
        "        return _g_generic_validate(self, all_fields=all_fields)",
        "    _g_state = self._ame_state",
        "    if type(_g_state) is not _g_State:  # loaded, not touched: made from the SON",
        "        _g_state = self._state",
        "    _g_values = _g_state.values",
        "    _g_check_missing = all_fields and not _g_state.persisted",
        "    _g_failures = None",
    ]
    planned = {name for name, _ in cls._validation_plan}
    for name, global_name, field in names:
        if name not in planned:
            continue
        lines += [
            f"    _g_v = _g_values.get({name!r}, _g_M)",
            "    if _g_v is _g_M and _g_check_missing:",
            "        _g_v = None",
            "    if _g_v is not _g_M:",
        ]
        keyword = "if"
        if field.required:
            empty = field.inline_empty("_g_v", global_name)
            lines += [
                f"        if _g_v is None or {empty}:",
                f"            _g_error = _g_required(self, {name!r}, _g_v)",
                "            _g_failures = [*(_g_failures or ()), _g_error]",
            ]
            keyword = "elif"
        if field.revalidate_on_save:
            lines += _checked(
                "_g_v", global_name, field, f"_g_values[{name!r}] = ", "        ", keyword
            )
    lines += [
        "    if self.__dict__:",
        "        _g_failures = [*(_g_failures or ()), *self._dynamic_name_failures()]",
        "    if _g_failures:",
        "        raise _g_Invalid.combine(_g_model, _g_failures)",
    ]
    return "\n".join(lines) + "\n"
