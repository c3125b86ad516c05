"""``BooleanField``."""

from __future__ import annotations

from typing import Any

from aiomotorengine.base.fields import BaseField

__all__ = ["BooleanField"]


class BooleanField(BaseField[bool]):
    """``True`` or ``False`` (``None`` when unset; never stored as ``False`` by accident)."""

    python_types = (bool,)
    is_identity = True
    revalidate_on_save = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fast_types = (bool,)
