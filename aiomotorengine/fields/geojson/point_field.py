"""``PointField``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, overload

from aiomotorengine.base.fields import FieldOptions
from aiomotorengine.fields.geojson.base import GeoJSONField, V, is_position

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["PointField"]


class PointField(GeoJSONField[V]):
    """A GeoJSON Point; ``[longitude, latitude]`` is accepted::

    location = PointField()
    place.location = [2.2945, 48.8584]
    """

    geo_type = "Point"

    if TYPE_CHECKING:

        @overload
        def __init__(
            self: PointField[dict[str, Any]],
            *,
            index: bool = True,
            required: Literal[True],
            default: dict[str, Any] | Callable[[], dict[str, Any]] | None = None,
            **options: Unpack[FieldOptions],
        ) -> None: ...

        @overload
        def __init__(
            self: PointField[dict[str, Any]],
            *,
            index: bool = True,
            required: bool = False,
            default: dict[str, Any] | Callable[[], dict[str, Any]],
            **options: Unpack[FieldOptions],
        ) -> None: ...

        @overload
        def __init__(
            self: PointField[dict[str, Any] | None],
            *,
            index: bool = True,
            required: bool = False,
            default: None = None,
            **options: Unpack[FieldOptions],
        ) -> None: ...

        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    def valid_coordinates(self, coordinates: Any) -> bool:
        return is_position(coordinates)
