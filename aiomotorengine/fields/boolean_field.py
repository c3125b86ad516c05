"""``BooleanField``."""

from __future__ import annotations

from aiomotorengine.fields.base_field import BaseField

__all__ = ["BooleanField"]


class BooleanField(BaseField[bool]):
    """``True`` or ``False`` (``None`` when unset; never stored as ``False`` by accident)."""

    python_types = (bool,)
    is_identity = True
