"""``is_null``: null (or missing) values, or the opposite.

A documented module path, kept as a re-export of ``aiomotorengine.query.element``.
"""

from aiomotorengine.query.element import IsNullQueryOperator

__all__ = ["IsNullQueryOperator"]
