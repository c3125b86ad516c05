"""The ``__init__``, ``to_son`` and ``_validate`` written per model (``base/compiled.py``).

They must do exactly what ``BaseDocument``'s generic methods do: the property test builds the
same input both ways and compares values, SON and every reported error. The other tests pin
where the generic methods stay: a class's own methods, a subclass calling ``super().__init__``,
field names no Python identifier can be.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from aiomotorengine import (
    BooleanField,
    DateTimeField,
    DecimalField,
    Document,
    EmailField,
    EmbeddedDocument,
    EmbeddedDocumentField,
    FloatField,
    IntField,
    JsonField,
    ListField,
    StringField,
)
from aiomotorengine.base.document import BaseDocument
from aiomotorengine.errors import InvalidDocumentError


class Place(EmbeddedDocument):
    city = StringField(required=True, max_length=5)
    zip = IntField(min_value=1000, max_value=9999)


class Sample(Document):
    name = StringField(required=True, max_length=8)
    plain = StringField()
    kind = StringField(choices=("a", "b"))
    age = IntField(min_value=0, max_value=150)
    count = IntField()
    exact = IntField(strict=True)
    ratio = FloatField(min_value=0.0, max_value=1.0)
    weight = FloatField(allow_inf_nan=True)
    flag = BooleanField()
    seen = DateTimeField()
    price = DecimalField(precision=2)
    email = EmailField()
    tags = ListField(StringField(max_length=3))
    words = ListField(StringField())
    flags = ListField(BooleanField(), required=True)
    numbers = ListField(IntField(), required=True)
    place = EmbeddedDocumentField(Place)
    places = ListField(EmbeddedDocumentField(Place))
    meta = JsonField()
    label = StringField(default="none")
    stamp = DateTimeField(default=lambda: datetime.datetime(2020, 1, 1))


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.sampled_from([0, 1, 150, 151, -1, 999, 1000, 9999, 10000, 2**63 - 1, 2**63]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 0.5, 1.0, 1.5, -0.0, 30.0]),
    st.text(max_size=10),
    st.sampled_from(["", "a", "b", "30", " 7 ", "1.5", "true", "ada@example.com", "2020-01-02"]),
    st.datetimes(min_value=datetime.datetime(1970, 1, 1)),
    st.decimals(allow_nan=False, places=3, min_value=-1000, max_value=1000),
    st.just(decimal.Decimal("1.25")),
)
_places = st.one_of(
    st.builds(
        lambda city, zip: Place(city=city, zip=zip),
        st.sampled_from(["Oslo", "Rome"]),
        st.sampled_from([1000, 5000]),
    ),
    st.builds(lambda: Place()),
    st.dictionaries(st.sampled_from(["city", "zip", "other"]), _scalars, max_size=3),
)
_values = st.one_of(
    _scalars,
    st.lists(_scalars, max_size=4),
    st.tuples(_scalars, _scalars),
    st.dictionaries(st.text(max_size=3), _scalars, max_size=3),
    _places,
    st.lists(_places, max_size=3),
)
_names = st.sampled_from([*Sample._fields, "extra", "_private", "objects", "a.b"])


def _build(build: Any, data: dict[str, Any]) -> tuple[str, Any]:
    try:
        document = build(**copy.deepcopy(data))
    except InvalidDocumentError as error:
        return "error", (str(error), error.errors, error.field)
    return "ok", document


def _generic(**data: Any) -> Sample:
    document = Sample.__new__(Sample)
    BaseDocument.__init__(document, **data)
    return document


def _outcome(document: Sample, method: Any) -> Any:
    try:
        return "ok", method(document)
    except InvalidDocumentError as error:
        return "error", (str(error), error.errors, error.field)
    except Exception as error:
        return "raised", (type(error), str(error))


def _validated(document: Sample, generic: bool) -> Any:
    if generic:
        BaseDocument._validate(document, all_fields=True)
    else:
        document._validate(all_fields=True)
    return document._state.values


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(_names, _values, max_size=8))
def test_compiled_methods_do_what_the_generic_ones_do(data: dict[str, Any]) -> None:
    compiled = _build(Sample, data)
    generic = _build(_generic, data)
    assert compiled[0] == generic[0]
    if compiled[0] == "error":
        assert compiled[1] == generic[1]
        return
    made, reference = compiled[1], generic[1]
    assert made._state.values == reference._state.values
    assert made.__dict__ == reference.__dict__
    assert _outcome(made, Sample.to_son) == _outcome(reference, BaseDocument.to_son)
    validated = _outcome(made, lambda document: _validated(document, generic=False))
    assert validated == _outcome(reference, lambda document: _validated(document, generic=True))


def test_every_model_gets_its_own_methods() -> None:
    for method in ("__init__", "to_son", "_validate"):
        assert getattr(vars(Sample)[method], "__compiled_for__", None) is Sample
        assert getattr(vars(Place)[method], "__compiled_for__", None) is Place


def test_a_subclass_calling_super_init_sets_its_own_fields() -> None:
    class Named(Document):
        name = StringField()

    class Titled(Named):
        title = StringField(required=True)

        def __init__(self, **kwargs: Any) -> None:
            kwargs.setdefault("title", "untitled")
            super().__init__(**kwargs)

    document = Titled(name="Ada")
    assert (document.name, document.title) == ("Ada", "untitled")
    assert "__init__" in vars(Titled) and not hasattr(Titled.__init__, "__compiled_for__")
    assert document.to_son() == {"name": "Ada", "title": "untitled"}
    try:
        Titled(name=1.5, title=2)
    except InvalidDocumentError as error:
        assert set(error.errors) == {"name", "title"}
    else:
        raise AssertionError("invalid values were accepted")


def test_a_models_own_methods_are_kept_and_subclasses_keep_them() -> None:
    class Shouting(Document):
        name = StringField()

        def to_son(self) -> dict[str, Any]:
            son = super().to_son()
            son["name"] = son["name"].upper()
            return son

    class Louder(Shouting):
        extra = StringField()

    assert Shouting(name="ada").to_son() == {"name": "ADA"}
    assert Louder(name="ada", extra="x").to_son() == {"name": "ADA", "extra": "x"}
    assert not hasattr(vars(Shouting)["to_son"], "__compiled_for__")
    assert "to_son" not in vars(Louder)  # its own inherited method, never a compiled one


def test_field_names_that_are_no_identifiers_keep_the_generic_methods() -> None:
    Odd: Any = type(Document)("Odd", (Document,), {"__module__": __name__, "my-key": IntField()})
    document = Odd(**{"my-key": "12"})
    assert document.to_son() == {"my-key": 12}
    assert "__init__" not in vars(Odd)


def test_a_field_shadowing_a_name_of_the_generated_code_keeps_the_generic_methods() -> None:
    class Quirky(Document):
        all_fields = StringField()
        _g_x = StringField()

    document = Quirky(all_fields="a", _g_x="b")
    assert document.to_son() == {"all_fields": "a", "_g_x": "b"}
    assert "__init__" not in vars(Quirky)


class Shout(StringField):
    """A user's field: its own validate, is_empty and to_son."""

    def validate(self, value: Any) -> bool:
        return super().validate(value) and value == value.lower()

    def is_empty(self, value: Any) -> bool:
        return value is None or value.strip() == ""

    def to_son(self, value: Any) -> Any:
        return value.upper()


class Tags(ListField):  # type: ignore[type-arg]
    def is_empty(self, value: Any) -> bool:
        return value is None or all(item is None for item in value)


def test_a_custom_fields_own_checks_and_conversions_are_never_inlined_away() -> None:
    class Loud(Document):
        word = Shout(required=True)
        words = ListField(Shout())
        tags = Tags(StringField(), required=True)

    assert Loud(word="hi", words=["a"], tags=["x"]).to_son() == {
        "word": "HI",
        "words": ["A"],
        "tags": ["x"],
    }
    try:
        Loud(word="Hi", words=["B"])
    except InvalidDocumentError as error:
        assert set(error.errors) == {"word", "words"}
    else:
        raise AssertionError("values the field's own validate() refuses were accepted")
    blank = Loud(word="  ", tags=[None])
    try:
        blank.validate()
    except InvalidDocumentError as error:
        assert set(error.errors) == {"word", "tags"}
    else:
        raise AssertionError("values the field's own is_empty() calls empty were accepted")


def test_fields_named_like_builtins_the_generated_code_uses() -> None:
    class Item(Document):
        type = StringField(required=True)
        len = IntField(min_value=0)
        list = ListField(StringField())
        map = StringField(max_length=3)

    item = Item(type="a", len="3", list=["x"], map="abc")
    assert item.to_son() == {"type": "a", "len": 3, "list": ["x"], "map": "abc"}
    assert getattr(Item.__init__, "__compiled_for__", None) is Item
    try:
        Item(type=1.5, len=-1, map="abcd")
    except InvalidDocumentError as error:
        assert list(error.errors) == ["type", "len", "map"]
    else:
        raise AssertionError("invalid values were accepted")


_stored_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=10),
    st.datetimes(min_value=datetime.datetime(1970, 1, 1)),
)
_stored_values = st.one_of(
    _stored_scalars,
    st.lists(_stored_scalars, max_size=3),
    st.dictionaries(st.sampled_from(["city", "zip", "x"]), _stored_scalars, max_size=3),
    st.lists(st.dictionaries(st.sampled_from(["city", "zip"]), _stored_scalars), max_size=2),
)
_stored_keys = st.sampled_from(
    [field.db_field for field in Sample._fields.values()] + ["legacy", "other"]
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(_stored_keys, _stored_values, max_size=8),
    st.lists(st.sampled_from(list(Sample._fields)), max_size=4),
    st.booleans(),
)
def test_compiled_methods_of_loaded_documents_do_what_the_generic_ones_do(
    son: dict[str, Any], read: list[str], all_fields: bool
) -> None:
    """Stored data of any shape (other programs write it): what a loaded document serialises
    and how it validates, after reading some of its fields, are the generic methods'."""
    documents = []
    for _ in range(2):
        document = Sample.from_son(copy.deepcopy(son))
        for name in read:
            with contextlib.suppress(Exception):  # the same on both: compared below
                getattr(document, name)
        documents.append(document)
    compiled, generic = documents
    assert _outcome(compiled, Sample.to_son) == _outcome(generic, BaseDocument.to_son)

    def validated(document: Sample, method: Any) -> Any:
        method(document, all_fields=all_fields)
        return document._state.values

    assert _outcome(compiled, lambda d: validated(d, Sample._validate)) == _outcome(
        generic, lambda d: validated(d, BaseDocument._validate)
    )
