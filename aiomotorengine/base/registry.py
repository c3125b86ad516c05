"""The registry of document classes: how fields find a class given by name
(``ReferenceField("User")``) without importing the module that defines it."""

from __future__ import annotations

from typing import Any

__all__ = ["get_document", "register_document"]

# "ClassName" and "module.ClassName" -> class; a later class of the same name wins the bare key.
_classes: dict[str, Any] = {}


def register_document(cls: type) -> None:
    """Record a document class under its name and its qualified ``module.Name``."""
    _classes[cls.__name__] = cls
    _classes[f"{cls.__module__}.{cls.__name__}"] = cls


def get_document(name: str, module: str | None = None) -> Any:
    """The document class registered under ``name`` (class name or ``module.ClassName``);
    with ``module``, a class of that name defined in that module wins."""
    if module:
        found = _classes.get(f"{module}.{name}")
        if found is not None:
            return found
    try:
        return _classes[name]
    except KeyError:
        raise LookupError(f"no document class named {name!r} is defined") from None
