"""Credentials never shown without a server: secret URI options are redacted from a handle's
repr, and a connection that cannot reach its server keeps passwords and tokens out of reprs,
the error chain and DEBUG logs."""

from __future__ import annotations

import logging
from urllib.parse import quote_plus

import pytest
from pymongo.errors import ServerSelectionTimeoutError

from aiomotorengine import (
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    IntField,
    JsonField,
    ListField,
    ReferenceField,
    StringField,
    connect,
)
from aiomotorengine.connection import disconnect


class Owner(Document):
    __collection__ = "sec_owners"
    name = StringField()


class Entry(EmbeddedDocument):
    sku = StringField()
    qty = IntField()


class Vault(Document):
    __collection__ = "sec_vaults"
    name = StringField()
    level = IntField()
    notes = ListField(JsonField())
    meta = JsonField()
    loose = ListField()
    entries = ListField(EmbeddedDocumentField(Entry))
    owner = ReferenceField(Owner)


def test_secret_uri_options_never_shown() -> None:
    token = "aws-session-t0ken"
    handle = connect(
        "aws",
        alias="aws",
        host=(
            "mongodb://AKIDEXAMPLE:aws-secret-key@127.0.0.1:1/aws?authMechanism=MONGODB-AWS"
            f"&authMechanismProperties=AWS_SESSION_TOKEN:{token}"
        ),
    )
    try:
        shown = repr(handle)
        assert token not in shown and "aws-secret-key" not in shown
        assert "authMechanism=MONGODB-AWS" in shown  # harmless options stay readable
    finally:
        disconnect("aws")


async def test_unreachable_server_never_shows_credentials(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    password = "p@ss/w0rd:S3CR3T"
    token = "T0KEN-S3CR3T"
    uri = (
        f"mongodb://admin:{quote_plus(password)}@127.0.0.1:1,127.0.0.1:2/vault"
        f"?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:{token}"
        "&serverSelectionTimeoutMS=200&connectTimeoutMS=200"
    )
    handles = [
        connect(alias="unreachable_uri", host=uri),
        connect(
            "vault",
            alias="unreachable_kw",
            host="127.0.0.1",
            port=1,
            username="admin",
            password=password,
            serverSelectionTimeoutMS=200,
            connectTimeoutMS=200,
        ),
    ]
    secrets = (password, quote_plus(password), "S3CR3T", token)
    try:
        for handle in handles:
            for shown in (repr(handle), repr(handle.client), repr(handle.database)):
                assert not any(secret in shown for secret in secrets), shown
            with pytest.raises(ServerSelectionTimeoutError) as raised:
                await Vault.objects.using(handle.alias).count()
            chain: list[BaseException] = []
            error: BaseException | None = raised.value
            while error is not None and len(chain) < 10:
                chain.append(error)
                error = error.__cause__ or error.__context__
            for error in chain:
                shown = f"{error!s} {error!r} {getattr(error, 'details', '')}"
                assert not any(secret in shown for secret in secrets), shown
    finally:
        for handle in handles:
            await handle.close()
            disconnect(handle.alias)
    assert caplog.records, "DEBUG logging was captured"
    for record in caplog.records:
        message = record.getMessage()
        assert not any(secret in message for secret in secrets), message
