"""A document a query loads holds its raw SON until it needs a state (``BaseDocument._state``).

Hydrating then costs one object per document. These tests pin that shape, and that the state
made later knows what the query said: the projection, the connection and the database.
"""

from __future__ import annotations

import copy
import datetime
import pickle

import pytest

from aiomotorengine import DateTimeField, Document, IntField, StringField
from aiomotorengine.base.state import DocumentState, Projection
from aiomotorengine.errors import InvalidDocumentError


class Lazy(Document):
    name = StringField()
    age = IntField()
    seen = DateTimeField()


SON = {"_id": None, "name": "Ada", "age": 36, "seen": datetime.datetime(2020, 1, 2), "x": 1}


def test_hydrating_makes_no_state_and_reading_plain_fields_keeps_it_so() -> None:
    (document,) = Lazy.hydrate([dict(SON)])
    assert type(document._ame_state) is dict
    assert (document.name, document.age) == ("Ada", 36)
    assert type(document._ame_state) is dict  # str and int fields read the SON as it is


def test_the_state_is_made_on_first_need_from_the_query() -> None:
    projection = Projection.only(Lazy._fields_by_db_field, ["name"])
    documents = Lazy.hydrate([dict(SON), dict(SON)], projection=projection, alias="a", db="b")
    first, second = documents
    assert first._ame_origin is second._ame_origin  # one tuple for the query's documents
    assert first.seen == datetime.datetime(2020, 1, 2)  # converted: the state is made
    state = first._ame_state
    assert type(state) is DocumentState and first._state is state
    assert (state.projection, state.alias, state.db, state.persisted) == (
        projection,
        "a",
        "b",
        True,
    )
    assert state.raw == SON and state.values == {"seen": datetime.datetime(2020, 1, 2)}
    assert type(second._ame_state) is dict


def test_a_document_assigned_to_is_no_longer_read_from_its_son() -> None:
    (document,) = Lazy.hydrate([dict(SON)])
    document.name = "Grace"
    assert document.name == "Grace" and document._state.raw["name"] == "Ada"
    assert document.x == 1  # an undeclared key, from the SON
    del document.x
    assert document._state.deleted == {"x"}


def test_new_documents_have_their_state_at_once() -> None:
    document = Lazy(name="Ada")
    assert type(document._ame_state) is DocumentState and not document._state.persisted


def test_a_model_may_not_define_the_names_of_the_documents_state() -> None:
    for name in ("_state", "_ame_state", "_ame_origin"):
        with pytest.raises(InvalidDocumentError, match=name):
            type(Document)("Shadowing", (Document,), {"__module__": __name__, name: None})


def test_hydrating_with_states_makes_them_at_once() -> None:
    """For callers that change every document next (placing the references they loaded)."""
    (document,) = Lazy.hydrate([dict(SON)], alias="a", db="b", states=True)
    state = document._ame_state
    assert type(state) is DocumentState
    assert (state.raw, state.values, state.alias, state.db, state.persisted) == (
        SON,
        {},
        "a",
        "b",
        True,
    )


def test_copies_and_pickles_keep_the_state_loaded_new_or_dynamic() -> None:
    (loaded,) = Lazy.hydrate([dict(SON)], alias="a")
    new = Lazy(name="Ada")
    new.extra = [1]
    for document in (loaded, new):
        for copied in (
            copy.copy(document),
            copy.deepcopy(document),
            pickle.loads(pickle.dumps(document)),
        ):
            assert copied.to_son() == document.to_son()
            assert copied._state.alias == document._state.alias
            assert copied._state.persisted == document._state.persisted
    assert copy.copy(new).extra is new.extra and copy.deepcopy(new).extra == [1]
    assert copy.copy(loaded)._state is loaded._state  # a shallow copy shares the state
