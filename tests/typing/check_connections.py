"""Checked by mypy and basedpyright (``make typecheck``): what a type checker sees of
connections, bound models and batches."""

from __future__ import annotations

from pymongo import AsyncMongoClient
from typing_extensions import assert_type

from aiomotorengine import (
    BatchQuery,
    ContextQuery,
    Database,
    Document,
    IntField,
    QuerySet,
    StringField,
    register_connection,
)
from aiomotorengine.queryset import BatchedDocument


class Automobile(Document):
    manufacturer = StringField(required=True)
    year = IntField()


class Owner(Document):
    name = StringField()


def registering(client: AsyncMongoClient[dict[str, object]]) -> None:
    assert_type(register_connection("cluster2", "mongodb://db2/", db="ks1"), Database)
    assert_type(register_connection("cluster3", client=client, db="ks1"), Database)
    assert_type(register_connection("cluster4", ["db4:27017"], default=True), Database)


def binding(car: Automobile, batch: BatchQuery) -> None:
    with ContextQuery(Automobile, connection="cluster2") as A:
        assert_type(A, type[Automobile])
        assert_type(A.objects.using(db="ks2"), QuerySet[Automobile])
    with ContextQuery(Automobile, Owner, db="ks2") as (A2, O2):
        assert_type(A2, type[Automobile])
        assert_type(O2, type[Owner])
    assert_type(car.using(connection="cluster1", db="ks1"), Automobile)
    assert_type(car.batch(batch), BatchedDocument[Automobile])
    assert_type(car.batch(batch).save(), Automobile)
    assert_type(Automobile.objects.batch(batch).create(manufacturer="honda"), Automobile)
