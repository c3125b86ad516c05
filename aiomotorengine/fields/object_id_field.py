"""The documented home of ``ObjectIdField`` (defined in :mod:`aiomotorengine.base.fields`)."""

from aiomotorengine.base.fields import ObjectIdField

__all__ = ["ObjectIdField"]
