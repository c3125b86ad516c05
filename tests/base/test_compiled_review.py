"""Edge cases of the compiled ``__init__``/``to_son``/``_validate`` (``base/compiled.py``),
found by review: field names Python reads otherwise, bounds with no exact literal, checks that
read the document under construction, stored containers, and the generic ``__init__``'s error
order. Each asserts what the generic method of ``BaseDocument`` does.
"""

from __future__ import annotations

import decimal
from typing import Any

import pytest

from aiomotorengine import (
    Document,
    EmbeddedDocument,
    FloatField,
    IntField,
    ListField,
    StringField,
)
from aiomotorengine.base.document import BaseDocument
from aiomotorengine.errors import InvalidDocumentError


def _model(name: str, fields: dict[str, Any], base: type = Document) -> Any:
    return type(base)(name, (base,), {"__module__": __name__, **fields})


def _generic(cls: Any, **data: Any) -> Any:
    document = cls.__new__(cls)
    BaseDocument.__init__(document, **data)
    return document


# --- field names that shadow the builtins the generated __init__ calls ------------------------


def test_a_field_named_type_does_not_break_the_constructor() -> None:
    # The generated __init__ starts with ``type(self) is not _g_cls``: a field named ``type``
    # is a parameter, so ``type`` is the value given (or MISSING) and the call fails.
    class Item(Document):
        type = StringField()
        name = StringField()

    assert _generic(Item, type="book", name="x")._state.values["type"] == "book"
    item = Item(type="book", name="x")
    assert item.type == "book"
    assert Item().type is None


def test_a_field_named_len_next_to_a_bounded_string_does_not_break_the_constructor() -> None:
    # StringField(max_length=...) inlines ``len(value) <= n``: ``len`` is the IntField's value.
    class Chunk(Document):
        len = IntField()
        name = StringField(max_length=3)

    assert _generic(Chunk, len=1, name="ab")._state.values["name"] == "ab"
    chunk = Chunk(len=1, name="ab")
    assert (chunk.len, chunk.name) == (1, "ab")


def test_a_field_named_map_next_to_a_list_field_does_not_break_the_constructor() -> None:
    # ListField inlines ``...issuperset(map(type, value))``: ``map`` is the IntField's value.
    class Tile(Document):
        map = IntField()
        tags = ListField(StringField())

    assert _generic(Tile, map=1, tags=["a"])._state.values["tags"] == ["a"]
    tile = Tile(map=1, tags=["a"])
    assert (tile.map, tile.tags) == (1, ["a"])


# --- field names Python reads otherwise in source ----------------------------------------------


def test_a_field_name_python_normalises_is_set_by_the_constructor() -> None:
    # Identifiers in source are NFKC-normalised: the parameter for "\ufb01le" (the "fi"
    # ligature) is ``file``, so the keyword "\ufb01le" lands in **_g_extra and is refused.
    name = "\ufb01le"
    Ligature = _model("Ligature", {name: StringField()})
    assert _generic(Ligature, **{name: "x"})._state.values[name] == "x"
    document = Ligature(**{name: "x"})
    assert document._state.values[name] == "x"
    assert document.to_son() == {name: "x"}


def test_two_field_names_equal_after_nfkc_still_make_a_model() -> None:
    # "\ufb01le" and "file" are two keys of their own; the generated source has the same
    # parameter twice: SyntaxError when the class is created.
    Both = _model("Both", {"\ufb01le": StringField(), "file": StringField()})
    document = Both(**{"\ufb01le": "a", "file": "b"})
    assert document.to_son() == {"\ufb01le": "a", "file": "b"}


def test_a_field_named___debug___still_makes_a_model() -> None:
    # An identifier and no keyword, yet no parameter may be named __debug__.
    Debug = _model("Debug", {"__debug__": StringField()})
    assert Debug(**{"__debug__": "x"}).to_son() == {"__debug__": "x"}


# --- inline checks that are no valid source ------------------------------------------------------


@pytest.mark.parametrize("max_length", [decimal.Decimal(3), float("inf")])
def test_a_string_max_length_whose_repr_is_no_literal_works(max_length: Any) -> None:
    # StringField.inline_check writes ``len(value) <= {max_length!r}``: ``Decimal('3')`` and
    # ``inf`` are names the generated code does not know (NameError on every construction).
    Text = _model("Text", {"body": StringField(max_length=max_length)})
    assert _generic(Text, body="ab")._state.values["body"] == "ab"
    assert Text(body="ab").body == "ab"


# --- the generic __init__, changed to sort failures like the compiled one ---------------------


class _Even(IntField):
    """A user's field whose check() raises an error naming no field."""

    def check(self, instance: Any, value: Any) -> Any:
        if value % 2:
            raise InvalidDocumentError("odd")
        return value


def test_the_generic_init_reports_a_failure_that_names_no_field() -> None:
    # BaseDocument.__init__ now sorts failures by ``order.index(failure.field or "_id")``:
    # ValueError for an error naming no field of the model (or "_id" in an embedded model).
    class Pair(EmbeddedDocument):
        a = _Even()
        b = IntField()

    with pytest.raises(InvalidDocumentError):
        Pair(a=1, b="x")  # the compiled __init__: an InvalidDocumentError
    with pytest.raises(InvalidDocumentError):
        _generic(Pair, a=1, b="x")


def test_the_generic_init_of_a_model_with_its_own_init_reports_custom_errors() -> None:
    # Same as above through a real path to the generic method: a model defining __init__.
    class Other(StringField):
        def check(self, instance: Any, value: Any) -> Any:
            raise InvalidDocumentError("custom", model="X", field="elsewhere", value=value)

    class Own(Document):
        s = Other()
        n = IntField()

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)

    with pytest.raises(InvalidDocumentError) as raised:
        Own(s="a", n="x")
    assert set(raised.value.errors) == {"elsewhere", "n"}


# --- a field's check() reading the document being built ----------------------------------------


class _After(IntField):
    """A user's field checking its value against another field of the same document."""

    def check(self, instance: Any, value: Any) -> Any:
        value = super().check(instance, value)
        if instance is not None and instance.start is not None and value < instance.start:
            raise self.invalid(instance, value, "before start")
        return value


def test_a_field_check_may_read_the_document_under_construction() -> None:
    # The generic __init__ sets state.values (defaults, then each value given) before it
    # checks; the generated one sets state.values only after every check: reading any field
    # from check() raises AttributeError ('DocumentState' object has no attribute 'values').
    class Span(Document):
        start = IntField()
        end = _After()

    assert _generic(Span, start=5, end=7).to_son() == {"start": 5, "end": 7}
    with pytest.raises(InvalidDocumentError):
        _generic(Span, start=5, end=3)
    assert Span(start=5, end=7).to_son() == {"start": 5, "end": 7}
    with pytest.raises(InvalidDocumentError) as raised:
        Span(start=5, end=3)
    assert set(raised.value.errors) == {"end"}


# --- to_son of containers held by fields whose inline SON is the value itself -----------------


def test_to_son_copies_a_loaded_container_of_a_float_field() -> None:
    # BaseField.to_son deep-copies lists and dicts ("shared with the stored SON, an in-place
    # change would go unseen"); BaseField.inline_son returns the value itself for fields of
    # non-container types (FloatField, BinaryField, DateTimeField, UUIDField), but a value
    # loaded from a document written by another program may be a list or a dict.
    class Reading(Document):
        value = FloatField()

    loaded = Reading.from_son({"_id": 1, "value": [1.0]})
    assert loaded.value == [1.0]
    generic = BaseDocument.to_son(loaded)
    assert generic["value"] is not loaded._state.values["value"]
    son = loaded.to_son()
    son["value"].append(2.0)  # changing the SON must not change the document
    assert loaded.value == [1.0]


def test_a_required_list_stored_as_another_shape_is_reported_by_name() -> None:
    # Another program stored a bool where the model has a required list: validating the
    # document must name the field, not fail with len()'s TypeError.
    class Holder(Document):
        flags = ListField(StringField(), required=True)

    for validate in (Holder._validate, BaseDocument._validate):
        document = Holder.from_son({"_id": None, "flags": False})
        assert document.flags is False
        with pytest.raises(InvalidDocumentError) as raised:
            validate(document, all_fields=True)
        assert raised.value.field == "flags"
