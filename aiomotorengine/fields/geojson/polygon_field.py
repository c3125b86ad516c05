"""``PolygonField``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, overload

from aiomotorengine.base.fields import FieldOptions
from aiomotorengine.fields.geojson.base import GeoJSONField, V, is_position

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["PolygonField"]


class PolygonField(GeoJSONField[V]):
    """A GeoJSON Polygon: a list of closed linear rings (each four or more positions, the
    last equal to the first); the first ring is the outer boundary."""

    geo_type = "Polygon"

    if TYPE_CHECKING:

        @overload
        def __init__(
            self: PolygonField[dict[str, Any]],
            *,
            index: bool = True,
            required: Literal[True],
            default: dict[str, Any] | Callable[[], dict[str, Any]] | None = None,
            **options: Unpack[FieldOptions],
        ) -> None: ...

        @overload
        def __init__(
            self: PolygonField[dict[str, Any]],
            *,
            index: bool = True,
            required: bool = False,
            default: dict[str, Any] | Callable[[], dict[str, Any]],
            **options: Unpack[FieldOptions],
        ) -> None: ...

        @overload
        def __init__(
            self: PolygonField[dict[str, Any] | None],
            *,
            index: bool = True,
            required: bool = False,
            default: None = None,
            **options: Unpack[FieldOptions],
        ) -> None: ...

        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    def valid_coordinates(self, coordinates: Any) -> bool:
        if not isinstance(coordinates, list) or not coordinates:
            return False
        for ring in coordinates:
            if not isinstance(ring, list) or len(ring) < 4:
                return False
            if not all(is_position(position) for position in ring) or ring[0] != ring[-1]:
                return False
        return True
