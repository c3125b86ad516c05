"""``exists``: documents that have (or lack) the field.

A documented module path, kept as a re-export of ``aiomotorengine.query.element``.
"""

from aiomotorengine.query.element import ExistsQueryOperator

__all__ = ["ExistsQueryOperator"]
