"""Read preferences, read concerns and write concerns as users write them, checked once.

A model's declaration (``__write_concern__``), a queryset's ``write_concern()``, a call's
``save(write_concern=...)`` and ``transaction(...)`` accept the driver's own objects and the short
forms MongoDB's connection string uses::

    read_preference_option("secondaryPreferred", "User.__read_preference__")
    read_concern_option("majority", "User.objects.read_concern()")
    write_concern_option({"w": "majority", "wtimeout": 5000}, "save()")
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pymongo import ReadPreference, WriteConcern
from pymongo.errors import ConfigurationError
from pymongo.read_concern import ReadConcern
from pymongo.read_preferences import _ServerMode

from aiomotorengine.errors import InvalidQueryError, describe_value

__all__ = [
    "ReadConcernOption",
    "ReadPreferenceOption",
    "WriteConcernOption",
    "read_concern_option",
    "read_preference_option",
    "write_concern_option",
]

#: A read preference: ``ReadPreference.SECONDARY``, ``Secondary(tag_sets=...)`` or a mode name.
ReadPreferenceOption = _ServerMode | str
#: A read concern: ``ReadConcern("majority")`` or a level (``"majority"``, ``"local"``...).
ReadConcernOption = ReadConcern | str
#: A write concern: ``WriteConcern(w="majority")``, its keywords as a mapping, or ``w`` alone.
WriteConcernOption = WriteConcern | Mapping[str, Any] | int | str

_MODES: dict[str, _ServerMode] = {
    mode.mongos_mode: mode
    for mode in (
        ReadPreference.PRIMARY,
        ReadPreference.PRIMARY_PREFERRED,
        ReadPreference.SECONDARY,
        ReadPreference.SECONDARY_PREFERRED,
        ReadPreference.NEAREST,
    )
}


def read_preference_option(value: ReadPreferenceOption, where: str) -> _ServerMode:
    """``value`` as the driver's read preference; ``where`` names the declaration or call in
    the error for a bad value."""
    if isinstance(value, _ServerMode):
        return value
    if isinstance(value, str) and value in _MODES:
        return _MODES[value]
    raise InvalidQueryError(
        f"{where}: read preference {describe_value(value)} is none of "
        f"{', '.join(_MODES)}, nor a pymongo ReadPreference"
    )


def read_concern_option(value: ReadConcernOption, where: str) -> ReadConcern:
    """``value`` as the driver's read concern (a level string becomes ``ReadConcern(level)``)."""
    if isinstance(value, ReadConcern):
        return value
    if isinstance(value, str) and value:
        return ReadConcern(value)
    raise InvalidQueryError(
        f"{where}: read concern {describe_value(value)} is neither a level such as 'majority' "
        f"nor a pymongo ReadConcern"
    )


def write_concern_option(value: WriteConcernOption, where: str) -> WriteConcern:
    """``value`` as the driver's write concern: ``{"w": "majority", "wtimeout": 5000}`` gives
    ``WriteConcern(w="majority", wtimeout=5000)``, ``1`` or ``"majority"`` is ``w``."""
    if isinstance(value, WriteConcern):
        return value
    try:
        if isinstance(value, Mapping):
            return WriteConcern(**value)
        if isinstance(value, (int, str)) and not isinstance(value, bool):
            return WriteConcern(w=value)
    except (TypeError, ValueError, ConfigurationError) as error:
        shown = describe_value(value)
        raise InvalidQueryError(f"{where}: write concern {shown}: {error}") from None
    raise InvalidQueryError(
        f"{where}: write concern {describe_value(value)} is neither a pymongo WriteConcern, "
        f"a mapping of its options ({{'w': 'majority', 'wtimeout': 5000}}) nor a value of w"
    )
