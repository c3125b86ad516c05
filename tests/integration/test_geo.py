"""Geo queries on GeoJSON fields, with the 2dsphere index the model declares."""

from __future__ import annotations

import pytest
from pymongo.errors import OperationFailure

from aiomotorengine import (
    Database,
    Document,
    LineStringField,
    PointField,
    PolygonField,
    StringField,
)

PARIS = [2.3522, 48.8566]
VERSAILLES = [2.1301, 48.8049]  # ~18 km from Paris
LONDON = [-0.1276, 51.5072]  # ~344 km from Paris
ILE_DE_FRANCE = [[[1.4, 48.1], [3.6, 48.1], [3.6, 49.3], [1.4, 49.3], [1.4, 48.1]]]


class City(Document):
    __collection__ = "geo_cities"
    name = StringField()
    location = PointField(db_field="loc")


class Road(Document):
    __collection__ = "geo_roads"
    name = StringField()
    path = LineStringField()


class Region(Document):
    __collection__ = "geo_regions"
    name = StringField()
    area = PolygonField()


class Unindexed(Document):
    __collection__ = "geo_unindexed"
    location = PointField(index=False)


async def _cities() -> None:
    await City.ensure_index()
    for name, location in (("Paris", PARIS), ("Versailles", VERSAILLES), ("London", LONDON)):
        await City.objects.create(name=name, location=location)


async def _names(queryset: object) -> list[str]:
    return [city.name for city in await queryset.find_all()]  # type: ignore[attr-defined]


async def test_near_keeps_what_lies_within_the_distance_bounds(db: Database) -> None:
    await _cities()
    assert sorted(await _names(City.objects.filter(location__near=PARIS))) == [
        "London",
        "Paris",
        "Versailles",
    ]
    within_50km = City.objects.filter(location__near={"point": PARIS, "max_distance": 50_000})
    assert sorted(await _names(within_50km)) == ["Paris", "Versailles"]
    ring = City.objects.filter(
        location__near={"point": PARIS, "min_distance": 1_000, "max_distance": 500_000}
    )
    assert sorted(await _names(ring)) == ["London", "Versailles"]


@pytest.mark.mongodb_only(
    reason="SecantusDB returns $near matches in insertion order, not nearest first"
)
async def test_near_orders_nearest_first(db: Database) -> None:
    await City.ensure_index()
    for name, location in (("London", LONDON), ("Versailles", VERSAILLES), ("Paris", PARIS)):
        await City.objects.create(name=name, location=location)
    assert await _names(City.objects.filter(location__near=PARIS)) == [
        "Paris",
        "Versailles",
        "London",
    ]


async def test_geo_within_polygon_box_and_center_sphere(db: Database) -> None:
    await _cities()
    in_region = City.objects.filter(location__geo_within=ILE_DE_FRANCE).order_by("name")
    assert await _names(in_region) == ["Paris", "Versailles"]
    in_box = City.objects.filter(location__geo_within={"box": [[2.2, 48.5], [3.0, 49.0]]})
    assert await _names(in_box) == ["Paris"]
    sphere = City.objects.filter(location__geo_within={"center_sphere": [LONDON, 400_000]})
    assert await _names(sphere.order_by("name")) == ["London", "Paris", "Versailles"]
    sphere = City.objects.filter(location__geo_within={"center_sphere": [LONDON, 100_000]})
    assert await _names(sphere) == ["London"]


async def test_geo_intersects_lines_and_polygons(db: Database) -> None:
    await Road.ensure_index()
    await Region.ensure_index()
    await Road.objects.create(name="A13", path=[PARIS, VERSAILLES])
    await Road.objects.create(name="Eurostar", path=[LONDON, [1.8, 50.9]])
    await Region.objects.create(name="IDF", area=ILE_DE_FRANCE)

    crossing = Road.objects.filter(path__geo_intersects=ILE_DE_FRANCE)
    assert [road.name for road in await crossing.find_all()] == ["A13"]
    containing = Region.objects.filter(area__geo_intersects={"type": "Point", "coordinates": PARIS})
    assert [region.name for region in await containing.find_all()] == ["IDF"]
    outside = Region.objects.filter(area__geo_intersects={"type": "Point", "coordinates": LONDON})
    assert await outside.find_all() == []


async def test_geo_values_round_trip(db: Database) -> None:
    await City.objects.create(name="Paris", location=PARIS)
    raw = await db.collection("geo_cities").find_one({})
    assert raw is not None and raw["loc"] == {"type": "Point", "coordinates": PARIS}
    city = await City.objects.get(name="Paris")
    assert city is not None and city.location == {"type": "Point", "coordinates": PARIS}


@pytest.mark.mongodb_only(
    reason="SecantusDB returns [] for $near on a field without a geo index (mongod: error 291)"
)
async def test_near_without_the_index_is_a_server_error(db: Database) -> None:
    await Unindexed.objects.create(location=PARIS)
    with pytest.raises(OperationFailure):
        await Unindexed.objects.filter(location__near=PARIS).find_all()
