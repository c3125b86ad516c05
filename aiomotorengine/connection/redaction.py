"""Secret redaction: MongoDB credentials hidden from URIs, connection options and client reprs.

Plain text in, plain text out: this module knows nothing of the connection registry, so error
reporting (the CLI, messages) can use it on its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_plus

__all__ = ["redact", "redact_client_repr", "scrub", "visible_options"]

# The user info runs to the last "@" before the first "/", as the driver parses it (a password
# may hold spaces or an unescaped "@"); over-redacting free text is harmless.
_CREDENTIALS_IN_URI = re.compile(
    r"(?P<scheme>mongodb(?:\+srv)?://)(?P<userinfo>[^/]*)@", re.IGNORECASE
)
_SECRET_OPTIONS = frozenset(
    {"password", "tlsCertificateKeyFilePassword", "authMechanismProperties"}
)
# Never shown by repr() or error messages (compared lower-cased: pymongo's options are not
# case-sensitive).
_HIDDEN_OPTIONS = frozenset(name.lower() for name in (*_SECRET_OPTIONS, "username"))
_SECRET_URI_OPTIONS = re.compile(
    r"(?P<name>[?&](?:tlsCertificateKeyFilePassword|authMechanismProperties|password)=)"
    r"(?P<value>[^&\s'\"]*)",
    re.IGNORECASE,
)


# The driver's client repr shows this option's value (it redacts authMechanismProperties).
_TLS_PASSWORD_IN_REPR = re.compile(
    r"(?P<name>tlscertificatekeyfilepassword=)(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """Hide the user info and secret options of every MongoDB URI in ``text``.

    ``redact("mongodb://ada:s3cret@db1/app?password=x")`` is ``"mongodb://***@db1/app?password=***"``.
    """
    text = _CREDENTIALS_IN_URI.sub(r"\g<scheme>***@", text)
    return _SECRET_URI_OPTIONS.sub(r"\g<name>***", text)


def redact_client_repr(text: str) -> str:
    """Hide the TLS key password that the driver's ``AsyncMongoClient`` repr shows."""
    return _TLS_PASSWORD_IN_REPR.sub(r"\g<name>'<redacted>'", text)


def visible_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` without the secret ones and the user name, fit for reprs and messages."""
    return {k: v for k, v in options.items() if k.lower() not in _HIDDEN_OPTIONS}


def scrub(text: str, host: str | list[str], options: Mapping[str, Any]) -> str:
    """``text`` with URI credentials and every secret value of ``host`` and ``options`` hidden
    (for driver messages, which may quote a secret outside any URI)."""
    text = redact(text)
    for secret in _secret_values(host, options):
        text = text.replace(secret, "***")
    return text


def _property_values(properties: str) -> list[str]:
    """The values of ``"KEY:value,KEY:value"`` auth mechanism properties."""
    return [item.partition(":")[2] for item in properties.split(",")]


def _secret_values(host: str | list[str], options: Mapping[str, Any]) -> list[str]:
    """Every secret ``host`` and ``options`` hold (as given and URL-decoded), longest first."""
    secrets: list[str] = []
    for name, value in options.items():
        lowered = name.lower()
        if lowered in ("password", "tlscertificatekeyfilepassword"):
            secrets.append(str(value))
        elif lowered == "authmechanismproperties":
            if isinstance(value, Mapping):
                secrets.extend(str(item) for item in value.values())
            else:
                secrets.extend(_property_values(str(value)))
    for uri in [host] if isinstance(host, str) else host:
        if "://" not in uri:
            continue
        authority = uri.split("://", 1)[1].split("/", 1)[0]
        if "@" in authority:
            password = authority.rpartition("@")[0].partition(":")[2]
            secrets += [password, unquote_plus(password)]
        for match in _SECRET_URI_OPTIONS.finditer(uri):
            value = unquote_plus(match["value"])
            secrets += [match["value"], value, *_property_values(value)]
    return sorted({secret for secret in secrets if secret}, key=len, reverse=True)
