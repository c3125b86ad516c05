"""Geo operators compile to MongoDB's GeoJSON query operators (no server)."""

from __future__ import annotations

import pytest

from aiomotorengine import (
    Document,
    InvalidQueryError,
    LineStringField,
    PointField,
    PolygonField,
    Q,
    StringField,
)
from aiomotorengine.query import compile_filter


class Venue(Document):
    __collection__ = "geo_venues"
    name = StringField()
    location = PointField(db_field="loc")
    route = LineStringField()
    area = PolygonField()


SQUARE = [[[0, 0], [0, 1], [1, 1], [1, 0], [0, 0]]]


def test_near_with_distances_in_meters() -> None:
    assert compile_filter(Venue, {"location__near": [2.29, 48.85]}) == {
        "loc": {"$near": {"$geometry": {"type": "Point", "coordinates": [2.29, 48.85]}}}
    }
    near = {"point": (2.29, 48.85), "max_distance": 500, "min_distance": 10}
    assert compile_filter(Venue, {"location__near": near}) == {
        "loc": {
            "$near": {
                "$geometry": {"type": "Point", "coordinates": [2.29, 48.85]},
                "$maxDistance": 500,
                "$minDistance": 10,
            }
        }
    }


def test_geo_within_polygon_box_and_center_sphere() -> None:
    polygon = {"$geoWithin": {"$geometry": {"type": "Polygon", "coordinates": SQUARE}}}
    assert compile_filter(Venue, {"location__geo_within": SQUARE}) == {"loc": polygon}
    as_geojson = {"type": "Polygon", "coordinates": SQUARE}
    assert compile_filter(Venue, {"location__geo_within": as_geojson}) == {"loc": polygon}
    assert compile_filter(Venue, {"location__geo_within": {"box": [(0, 0), (1, 1)]}}) == {
        "loc": {"$geoWithin": {"$box": [[0, 0], [1, 1]]}}
    }
    compiled = compile_filter(Venue, {"location__geo_within": {"center_sphere": [[0, 0], 6378100]}})
    assert compiled == {"loc": {"$geoWithin": {"$centerSphere": [[0, 0], 1.0]}}}


def test_geo_intersects_any_geometry() -> None:
    line = {"type": "LineString", "coordinates": [[0, 0], [2, 2]]}
    assert Venue.objects.filter(Q(area__geo_intersects=line)).query == {
        "area": {"$geoIntersects": {"$geometry": line}}
    }
    assert compile_filter(Venue, {"route__geo_intersects": SQUARE}) == {
        "route": {"$geoIntersects": {"$geometry": {"type": "Polygon", "coordinates": SQUARE}}}
    }


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("name__near", [0, 0], r"Venue\.name__near: geo operators apply to GeoJSON fields"),
        ("location__near", [200, 0], r"Venue\.location__near: the point must be \[longitude"),
        ("location__near", "paris", r"Venue\.location__near: expected a GeoJSON geometry"),
        ("location__near", {"point": [0, 0], "max": 1}, r"unknown options \['max'\]"),
        ("location__near", {"point": [0, 0], "max_distance": -1}, r"max_distance must be"),
        ("location__near", {"type": "Polygon", "coordinates": SQUARE}, r"near takes a Point"),
        ("location__geo_within", {"box": [[0, 0]]}, r"box must be"),
        ("location__geo_within", {"center_sphere": [[0, 0]]}, r"center_sphere must be"),
        ("location__geo_within", {"center_sphere": [[0, 0], "far"]}, r"the radius must be"),
        ("location__geo_within", {"type": "Point", "coordinates": [0, 0]}, r"takes a Polygon"),
        ("area__geo_intersects", 5, r"Venue\.area__geo_intersects: expected a GeoJSON"),
    ],
)
def test_bad_geo_queries_name_the_field_and_value(key: str, value: object, message: str) -> None:
    with pytest.raises(InvalidQueryError, match=message):
        compile_filter(Venue, {key: value})
