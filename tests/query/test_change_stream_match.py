"""A queryset's filter as a change stream's ``$match`` (no server)."""

from __future__ import annotations

import pytest
from bson import ObjectId

from aiomotorengine import Document, IntField, InvalidQueryError, Q, StringField
from aiomotorengine.query.changes import change_stream_match, filters_on_fields


class Ticket(Document):
    __collection__ = "tickets"
    title = StringField(db_field="t")
    priority = IntField()


def test_fields_move_under_the_full_document_and_the_id_under_the_document_key() -> None:
    identifier = ObjectId()
    query = Ticket.objects.filter(Q(id=identifier) | Q(title="x", priority__gt=2)).query
    assert change_stream_match("Ticket", query) == {
        "$or": [
            {"documentKey._id": identifier},
            {"fullDocument.t": "x", "fullDocument.priority": {"$gt": 2}},
        ]
    }
    assert filters_on_fields(query)
    assert not filters_on_fields({"_id": identifier})
    assert not filters_on_fields({"$or": [{"_id": 1}, {"_id": 2}]})


def test_operators_on_the_whole_document_are_refused() -> None:
    with pytest.raises(InvalidQueryError, match=r"Ticket.objects.watch\(\): \$expr"):
        change_stream_match("Ticket", {"$and": [{"priority": 1}, {"$expr": {"$gt": [1, 0]}}]})
