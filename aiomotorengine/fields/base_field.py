"""The documented home of ``BaseField`` (defined in :mod:`aiomotorengine.base.fields`)."""

from aiomotorengine.base.fields import BaseField

__all__ = ["BaseField"]
