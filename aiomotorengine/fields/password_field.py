"""``PasswordField``: a salted, slow hash; the plaintext never reaches the database."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from aiomotorengine.base.fields import BaseField, FieldOptions
from aiomotorengine.errors import InvalidDocumentError, InvalidQueryError

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["HashedPassword", "PasswordField"]

_SCHEME = "scrypt"
# Interactive-login cost (RFC 7914 recommends n=2**14, r=8, p=1): about 50 ms per hash.
_N, _R, _P = 2**14, 8, 1
_SALT_BYTES = 16
_KEY_BYTES = 32


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=256 * 1024 * 1024,
        dklen=_KEY_BYTES,
    )


class HashedPassword:
    """A stored password hash. Compare it with a plaintext (``user.password == "secret"`` or
    ``user.password.verify("secret")``): the check runs in constant time. Its ``repr`` never
    shows the hash. ``crypt_func`` is the field's own hash function, when it has one."""

    __slots__ = ("crypt_func", "encoded")

    def __init__(self, encoded: str, crypt_func: Callable[[str], str] | None = None) -> None:
        self.encoded = encoded
        self.crypt_func = crypt_func

    @classmethod
    def from_plaintext(cls, plaintext: str) -> HashedPassword:
        salt = os.urandom(_SALT_BYTES)
        key = _scrypt(plaintext, salt, _N, _R, _P)
        return cls(f"{_SCHEME}${_N}${_R}${_P}${_b64(salt)}${_b64(key)}")

    def verify(self, plaintext: str) -> bool:
        """Whether ``plaintext`` is the password this hash was made from."""
        if not isinstance(plaintext, str):
            return False
        if self.crypt_func is not None:
            return hmac.compare_digest(str(self.crypt_func(plaintext)), self.encoded)
        parts = self.encoded.split("$")
        if len(parts) == 6 and parts[0] == _SCHEME:
            n, r, p = (int(part) for part in parts[1:4])
            expected = _unb64(parts[5])
            return hmac.compare_digest(_scrypt(plaintext, _unb64(parts[4]), n, r, p), expected)
        # aiomotorengine 0.x stored an unsalted hex digest: MD5 (its default crypt_func, 32 hex
        # characters) or SHA-256 (64).
        algorithm = "md5" if len(self.encoded) == 32 else "sha256"
        digest = hashlib.new(algorithm, plaintext.encode("utf-8")).hexdigest()
        return hmac.compare_digest(digest, self.encoded)

    @property
    def is_legacy(self) -> bool:
        """True for a 0.x unsalted digest (assign the password again to upgrade it)."""
        return not self.encoded.startswith(_SCHEME + "$")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, HashedPassword):
            return hmac.compare_digest(self.encoded, other.encoded)
        if isinstance(other, str):
            return self.verify(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return "<HashedPassword (hidden)>"


V = TypeVar("V", bound=HashedPassword | None)


class PasswordField(BaseField[V]):
    """A password: assigning a plaintext ``str`` stores a salted scrypt hash of it.

    Read back, the value is a :class:`HashedPassword`; compare it with a plaintext to check a
    login (constant time). Hashes written by 0.x (unsalted MD5 or SHA-256) still verify.

    ``crypt_func`` (0.x's way to choose the hash) replaces scrypt: a function from the plaintext
    to the stored string, used to hash and to verify. Being deterministic, it also lets a filter
    take the plaintext::

        password = PasswordField(crypt_func=lambda text: hashlib.sha256(text.encode()).hexdigest())
    """

    python_types = (HashedPassword,)
    revalidate_on_save = False
    secret = True

    @overload
    def __init__(
        self: PasswordField[HashedPassword],
        crypt_func: Callable[[str], str] | None = None,
        *,
        required: Literal[True],
        default: HashedPassword | Callable[[], HashedPassword] | None = None,
        **options: Unpack[FieldOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: PasswordField[HashedPassword],
        crypt_func: Callable[[str], str] | None = None,
        *,
        required: bool = False,
        default: HashedPassword | Callable[[], HashedPassword],
        **options: Unpack[FieldOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: PasswordField[HashedPassword | None],
        crypt_func: Callable[[str], str] | None = None,
        *,
        required: bool = False,
        default: None = None,
        **options: Unpack[FieldOptions],
    ) -> None: ...

    def __init__(
        self, crypt_func: Callable[[str], str] | None = None, *args: Any, **kwargs: Any
    ) -> None:
        if crypt_func is not None and not callable(crypt_func):
            raise TypeError(f"PasswordField(crypt_func=...) takes a function, got {crypt_func!r}")
        super().__init__(*args, **kwargs)
        self.crypt_func = crypt_func

    if TYPE_CHECKING:

        def __set__(self, instance: Any, value: V | str) -> None:
            """Takes the plaintext (hashed when assigned) or a ``HashedPassword``."""

    def coerce(self, value: Any) -> Any:
        if isinstance(value, str) and value:  # an empty password is refused, never hashed
            return self._hash(value)
        return value

    def _hash(self, plaintext: str) -> HashedPassword:
        if self.crypt_func is None:
            return HashedPassword.from_plaintext(plaintext)
        encoded = self.crypt_func(plaintext)
        if not isinstance(encoded, str):
            raise TypeError("crypt_func must return a str")  # refused as an invalid value
        return HashedPassword(encoded, self.crypt_func)

    def describe(self) -> str:
        return "a non-empty password (str)"

    def safe_repr(self, value: Any) -> str:
        return "<hidden>"

    def value_schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        return {"type": "string", "minLength": 1, "writeOnly": True}

    def value_bson_schema(self, expanding: set[Any]) -> dict[str, Any]:
        return {"bsonType": "string", "minLength": 1}

    def invalid(self, instance: Any, value: Any, reason: str | None = None) -> InvalidDocumentError:
        error = super().invalid(instance, value, reason)
        error.value = None  # a rejected value may be a plaintext: never kept on the error
        return error

    def is_empty(self, value: Any) -> bool:
        return value is None or value == ""

    def to_son(self, value: Any) -> Any:
        return value.encoded

    def from_son(self, value: Any) -> Any:
        return HashedPassword(value, self.crypt_func)

    def to_query(self, value: Any) -> Any:
        if isinstance(value, HashedPassword):
            return value.encoded
        if self.crypt_func is not None and isinstance(value, str) and value:
            return self._hash(value).encoded
        raise InvalidQueryError(
            "filter on a password with a HashedPassword value; "
            "salted hashes cannot be matched from a plaintext (load the document and compare)"
        )
