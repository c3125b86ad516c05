"""Field values without I/O: validation on construction and on every assignment (custom
``validate`` overrides included), conversion on assignment (decimal rounding, millisecond
datetimes), error attributes, and constant-time password verification (no server needed)."""

from __future__ import annotations

import datetime
import decimal
from typing import Any

import pytest

from aiomotorengine import (
    BaseField,
    DateTimeField,
    DecimalField,
    Document,
    HashedPassword,
    IntField,
    InvalidDocumentError,
    StringField,
)


def _model_with(field: BaseField[Any]) -> type[Document]:
    class FieldHolder(Document):
        __collection__ = "field_holder"
        value = field

    return FieldHolder


def test_error_value_attribute_is_the_offending_value() -> None:
    model = _model_with(IntField(max_value=3))
    with pytest.raises(InvalidDocumentError) as raised:
        model(value=7)
    assert raised.value.value == 7
    assert "7" in str(raised.value)


def test_decimal_rounding_option() -> None:
    model = _model_with(DecimalField(precision=1, rounding=decimal.ROUND_DOWN))
    assert model(value="1.99").value == decimal.Decimal("1.9")


async def test_password_verification_uses_constant_time_compare(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import hmac

    from aiomotorengine.fields import password_field

    calls: list[tuple[Any, Any]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(password_field.hmac, "compare_digest", spy)
    hashed = HashedPassword.from_plaintext("s3cret")
    assert hashed == "s3cret"
    assert calls, "verification must go through hmac.compare_digest"


def test_datetime_truncated_to_milliseconds_on_assignment() -> None:
    model = _model_with(DateTimeField())
    value = datetime.datetime(2024, 1, 1, 0, 0, 0, 123456)
    assert model(value=value).value == datetime.datetime(2024, 1, 1, 0, 0, 0, 123000)
    assert DateTimeField.__doc__ is not None and "millisecond" in DateTimeField.__doc__


class ShoutField(StringField):
    """Overrides validate only: every assignment must go through it."""

    def validate(self, value: Any) -> bool:
        return super().validate(value) and (value is None or value.isupper())


def test_custom_validate_runs_on_every_assignment() -> None:
    model = _model_with(ShoutField())
    assert model(value="OK").value == "OK"
    with pytest.raises(InvalidDocumentError):
        model(value="quiet")
    document = model()
    with pytest.raises(InvalidDocumentError):
        document.value = "quiet"


def test_assigning_wrong_type_raises_immediately() -> None:
    class Profile(Document):
        age = IntField()
        name = StringField()

    profile = Profile(name="x", age=3)
    with pytest.raises(InvalidDocumentError):
        profile.age = "three"
    assert profile.age == 3


def test_subclasses_that_check_values_never_take_the_inline_checks() -> None:
    class EvenField(IntField):
        def validate(self, value: Any) -> bool:
            return super().validate(value) and (value is None or value % 2 == 0)

    class LowerField(StringField):
        def validate(self, value: Any) -> bool:
            return super().validate(value) and (value is None or value == value.lower())

    class NoonField(DateTimeField):
        def validate(self, value: Any) -> bool:
            return super().validate(value) and (value is None or value.hour == 12)

    class Checked(Document):
        even = EvenField(max_value=100)
        lower = LowerField(max_length=10)
        noon = NoonField()

    Checked(even=4, lower="abc", noon=datetime.datetime(2024, 1, 1, 12))
    for values in (
        {"even": 3},
        {"even": 102},
        {"lower": "ABC"},
        {"lower": "a" * 11},
        {"noon": datetime.datetime(2024, 1, 1, 13)},
    ):
        with pytest.raises(InvalidDocumentError):
            Checked(**values)
