"""String operators: ``regex`` and the escaped ``contains``/``startswith``/... family."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from aiomotorengine.base.fields import BaseField
from aiomotorengine.errors import InvalidQueryError, describe_value
from aiomotorengine.query.base import QueryOperator

__all__ = [
    "ContainsQueryOperator",
    "EndsWithQueryOperator",
    "ExactQueryOperator",
    "IContainsQueryOperator",
    "IEndsWithQueryOperator",
    "IExactQueryOperator",
    "IStartsWithQueryOperator",
    "RegexQueryOperator",
    "StartsWithQueryOperator",
]


class RegexQueryOperator(QueryOperator):
    """A regular expression (a string or a compiled pattern, whose ``re.I``/``re.M``/``re.S``/
    ``re.X`` flags become ``$options``). The pattern is used as given: never pass user input
    here, use ``contains`` and friends, which escape it."""

    name = "regex"
    _FLAGS: ClassVar[tuple[tuple[int, str], ...]] = (
        (re.IGNORECASE, "i"),
        (re.MULTILINE, "m"),
        (re.DOTALL, "s"),
        (re.VERBOSE, "x"),
    )

    def condition(self, field: BaseField[Any] | None, value: Any) -> Any:
        if isinstance(value, re.Pattern):
            options = "".join(flag for bit, flag in self._FLAGS if value.flags & bit)
            condition: dict[str, Any] = {"$regex": value.pattern}
            if options:
                condition["$options"] = options
            return condition
        if not isinstance(value, str):
            raise InvalidQueryError(f"regex takes a str or re.Pattern, got {describe_value(value)}")
        return {"$regex": value}


class _TextOperator(QueryOperator):
    """Matches the user's text literally (it is escaped), optionally ignoring case."""

    template: ClassVar[str] = "{}"
    ignore_case: ClassVar[bool] = False

    def condition(self, field: BaseField[Any] | None, value: Any) -> Any:
        if not isinstance(value, str):
            raise InvalidQueryError(
                f"{self.name} takes a str, got {type(value).__name__} {describe_value(value)}"
            )
        condition: dict[str, Any] = {"$regex": self.template.format(re.escape(value))}
        if self.ignore_case:
            condition["$options"] = "i"
        return condition


class ContainsQueryOperator(_TextOperator):
    """Strings containing the text: ``Q(name__contains="a.b")`` (``.`` matched literally)."""

    name = "contains"


class IContainsQueryOperator(ContainsQueryOperator):
    """``contains``, ignoring case."""

    name = "icontains"
    ignore_case = True


class StartsWithQueryOperator(_TextOperator):
    """Strings starting with the text."""

    name = "startswith"
    template = "^{}"


class IStartsWithQueryOperator(StartsWithQueryOperator):
    """``startswith``, ignoring case."""

    name = "istartswith"
    ignore_case = True


class EndsWithQueryOperator(_TextOperator):
    """Strings ending with the text."""

    name = "endswith"
    template = r"{}\z"


class IEndsWithQueryOperator(EndsWithQueryOperator):
    """``endswith``, ignoring case."""

    name = "iendswith"
    ignore_case = True


class ExactQueryOperator(_TextOperator):
    """Strings equal to the text (as a regex, so ``iexact`` can ignore case)."""

    name = "exact"
    template = r"^{}\z"


class IExactQueryOperator(ExactQueryOperator):
    """``exact``, ignoring case."""

    name = "iexact"
    ignore_case = True
