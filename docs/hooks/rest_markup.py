"""Griffe extension: the package's reST-flavoured docstrings read as Markdown in the API reference.

The docstrings are written for ``help()`` and editors: ``literal blocks::`` introduced by a
double colon and roles such as ``:class:`Document```. mkdocstrings renders Markdown, so without
this the examples would lose their highlighting and the roles would show as text. Only the
rendered copy changes; the package's docstrings stay as they are.

- ``text::`` followed by an indented block becomes ``text:`` and a fenced code block (Python,
  ``pycon`` for ``>>>`` sessions, ``console`` for commands). A block that was not indented (a
  one-line summary ending in ``::``, whose example ``inspect.cleandoc`` dedents) runs to the next
  blank line.
- ``:role:`target``` becomes ```target```, and ``:role:`~a.b.C``` becomes ```C```.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:func|meth|class|mod|attr|data|exc|obj):`~?([^`]+)`")
_COMMANDS = ("$ ", "python -m ", "pip ")


def _role(match: re.Match[str]) -> str:
    target = match[1]
    return f"`{target.rsplit('.', 1)[-1]}`" if match[0].count("`~") else f"`{target}`"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _language(block: list[str]) -> str:
    first = block[0].lstrip()
    if first.startswith(">>>"):
        return "pycon"
    return "console" if first.startswith(_COMMANDS) else "python"


def to_markdown(text: str) -> str:
    """The Markdown reading of a reST-flavoured docstring."""
    lines = _ROLE.sub(_role, text).split("\n")
    out: list[str] = []
    fenced = False  # inside a Markdown fence already: left alone
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if fenced or not line.rstrip().endswith("::"):
            out.append(line)
            continue
        intro = line.rstrip()[:-2]
        if intro.strip():
            out.append(intro.rstrip() + ("" if intro.endswith(" ") else ":"))
        start = index
        while start < len(lines) and not lines[start].strip():
            start += 1
        if start == len(lines):
            break
        base = _indent(line)
        end = start
        if _indent(lines[start]) > base:
            while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > base):
                end += 1
        else:
            while end < len(lines) and lines[end].strip():
                end += 1
        block = textwrap.dedent("\n".join(lines[start:end])).strip("\n").split("\n")
        margin = " " * base
        out += ["", f"{margin}```{_language(block)}"]
        out += [f"{margin}{code}" if code else "" for code in block]
        out += [f"{margin}```", ""]
        index = end
    return "\n".join(out)


class RestMarkup(griffe.Extension):
    """Rewrite every docstring the API reference renders (see the module docstring)."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = to_markdown(obj.docstring.value)
