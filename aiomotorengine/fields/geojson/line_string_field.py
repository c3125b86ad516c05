"""``LineStringField``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, overload

from aiomotorengine.base.fields import FieldOptions
from aiomotorengine.fields.geojson.base import GeoJSONField, V, is_position

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["LineStringField"]


class LineStringField(GeoJSONField[V]):
    """A GeoJSON LineString: two or more ``[longitude, latitude]`` positions."""

    geo_type = "LineString"

    if TYPE_CHECKING:

        @overload
        def __init__(
            self: LineStringField[dict[str, Any]],
            *,
            index: bool = True,
            required: Literal[True],
            default: dict[str, Any] | Callable[[], dict[str, Any]] | None = None,
            **options: Unpack[FieldOptions],
        ) -> None: ...

        @overload
        def __init__(
            self: LineStringField[dict[str, Any]],
            *,
            index: bool = True,
            required: bool = False,
            default: dict[str, Any] | Callable[[], dict[str, Any]],
            **options: Unpack[FieldOptions],
        ) -> None: ...

        @overload
        def __init__(
            self: LineStringField[dict[str, Any] | None],
            *,
            index: bool = True,
            required: bool = False,
            default: None = None,
            **options: Unpack[FieldOptions],
        ) -> None: ...

        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    def valid_coordinates(self, coordinates: Any) -> bool:
        return (
            isinstance(coordinates, list)
            and len(coordinates) >= 2
            and all(is_position(position) for position in coordinates)
        )
