"""The upstream module name of ``less_than``."""

from aiomotorengine.query.less_than import LesserThanQueryOperator, LessThanQueryOperator

__all__ = ["LessThanQueryOperator", "LesserThanQueryOperator"]
