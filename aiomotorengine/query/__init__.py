"""Query compilation: keyword filters, ``Q`` trees and operators to MongoDB filters.

Operators live in modules by kind and register themselves in ``OPERATORS`` when defined;
importing this package imports every kind.
"""

# Defining an operator registers it: importing the package imports every kind.
from aiomotorengine.query import array, comparison, element, geo, string  # noqa: F401
from aiomotorengine.query.base import OPERATORS, QueryOperator
from aiomotorengine.query.compiler import compile_filter
from aiomotorengine.query.q import Q, compile_node

__all__ = ["OPERATORS", "Q", "QueryOperator", "compile_filter", "compile_node"]
