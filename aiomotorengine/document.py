"""``Document`` and ``EmbeddedDocument``, the classes models derive from.

Each is an I/O-free base class of :mod:`aiomotorengine.base.document` plus what needs the
queryset layer: ``Model.objects``, the persistence methods and ``load_references()``.
``TypedDocument`` and ``TypedEmbeddedDocument`` are the same classes with a constructor that type
checkers derive from the annotated fields.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from aiomotorengine.base.document import BaseDocument, BaseEmbeddedDocument, CollectionDocument
from aiomotorengine.base.fields import ObjectIdField
from aiomotorengine.base.registry import get_document
from aiomotorengine.connection import ReadConcernOption, ReadPreferenceOption, WriteConcernOption
from aiomotorengine.queryset import (
    BatchedDocument,
    BatchQuery,
    LoadedReferences,
    QuerySet,
    delete_document,
    ensure_indexes,
    load_references,
    reload_document,
    require_place,
    save_document,
)

if sys.version_info >= (3, 11):
    from typing import dataclass_transform
elif TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_: Any) -> Callable[[type], type]:
        """Python 3.10 has no ``typing.dataclass_transform``; only type checkers read it."""
        return lambda cls: cls


if TYPE_CHECKING:
    from bson import ObjectId
    from typing_extensions import Self

__all__ = [
    "BaseDocument",
    "Document",
    "EmbeddedDocument",
    "TypedDocument",
    "TypedEmbeddedDocument",
    "get_document",
]

D = TypeVar("D", bound="Document")


class _QuerySetDescriptor:
    """``Model.objects``: a fresh queryset bound to the model on every access."""

    def __get__(self, instance: object, owner: type[D]) -> QuerySet[D]:
        if instance is not None:
            raise AttributeError("objects is reached through the model class, not an instance")
        return QuerySet(owner)


class Document(CollectionDocument):
    """A model stored in its own collection.

    ``__collection__`` names it (default: the class name); ``__alias__`` (or
    ``__connection__``) picks the connection and ``__db__`` the database there (default: the
    connection's own); ``__lazy__ = False`` loads references eagerly; ``__auto_index__ = False``
    leaves index creation to ``ensure_index()``; ``__versioned__ = True`` refuses saves of stale
    copies (optimistic concurrency); ``__validator__ = True`` makes ``ensure_index()`` install a
    server-side schema; ``__shard_key__`` names the fields of a sharded collection's shard key;
    ``__read_preference__``, ``__read_concern__`` and ``__write_concern__`` override the
    connection's for the model's operations::

        class User(Document):
            __collection__ = "users"
            __write_concern__ = {"w": "majority"}
            name = StringField(required=True)

        user = await User.objects.create(name="Ada")
    """

    objects: ClassVar[_QuerySetDescriptor] = _QuerySetDescriptor()
    #: Where the model's reads go: ``ReadPreference.SECONDARY_PREFERRED``, ``Secondary(...)``
    #: or a mode name (``"secondaryPreferred"``); ``None``: the connection's.
    __read_preference__: ClassVar[ReadPreferenceOption | None] = None
    #: The read concern of the model's reads (``"majority"``, ``ReadConcern(...)``).
    __read_concern__: ClassVar[ReadConcernOption | None] = None
    #: The write concern of the model's writes (``{"w": "majority", "wtimeout": 5000}``,
    #: ``"majority"``, ``1``, ``WriteConcern(...)``).
    __write_concern__: ClassVar[WriteConcernOption | None] = None

    def using(
        self, alias: str | None = None, *, connection: str | None = None, db: str | None = None
    ) -> Self:
        """Run this document's next ``save``/``delete``/``reload`` on connection ``alias``
        (``connection=`` is the cqlengine spelling) and/or database ``db``; what is not named
        stays where the document lives (a database that was its connection's default becomes
        the default of the new connection).

        A document saves back where it was loaded from or last saved, sending only what
        changed; saved somewhere else, it is written whole there (inserted, or replacing the
        document with its ``_id``) and lives there from then on::

            for auto in await Automobile.objects.using(connection="cluster1").find_all():
                await auto.using(connection="cluster2").save()  # a copy on cluster2
        """
        self._bind(*require_place(alias, connection, db))
        return self

    def batch(self, batch: BatchQuery) -> BatchedDocument[Self]:
        """Queue this document's ``save()``/``delete()`` in ``batch`` (no ``await``: they are
        sent when the batch's block ends)::

            async with BatchQuery() as b:
                car.batch(b).save()
                old_car.batch(b).delete()
        """
        return BatchedDocument(batch, self)

    async def save(
        self, alias: str | None = None, *, write_concern: WriteConcernOption | None = None
    ) -> Self:
        """Insert the document, or send what changed since it was loaded ($set/$unset; a
        list changed only by appends or only by removals as $push/$pullAll, so concurrent
        appends are not lost), where it lives; sent by ``using()`` where it does not live yet,
        write it whole there.

        Validates first and writes nothing when validation fails. Returns the document. For a
        versioned model (``__versioned__ = True``), a copy that another writer saved since it
        was loaded raises ``ConcurrentModificationError`` and writes nothing.
        ``write_concern`` overrides the model's and the connection's for this write:
        ``await order.save(write_concern={"w": "majority"})``.
        """
        return await save_document(self, alias, write_concern=write_concern)

    async def delete(
        self, alias: str | None = None, *, write_concern: WriteConcernOption | None = None
    ) -> int:
        """Delete the document; returns how many were deleted (0 or 1). ``write_concern``
        overrides the model's and the connection's for this write."""
        return await delete_document(self, alias, write_concern=write_concern)

    async def reload(self, alias: str | None = None) -> Self:
        """Refresh every field from the database, dropping unsaved changes."""
        return await reload_document(self, alias)

    async def load_references(self, fields: list[str] | None = None) -> LoadedReferences:
        """Load lazy references (all, or those named) with one query per collection; the
        result tells how many (``result["loaded_reference_count"]``, as in 0.x)."""
        return await load_references([self], fields)

    @classmethod
    async def ensure_index(cls, alias: str | None = None) -> int:
        """Create the indexes the model declares (idempotent); returns how many. With
        ``__validator__ = True``, also install ``bson_schema()`` as the collection's
        validator::

            await User.ensure_index()
        """
        return await ensure_indexes(cls, alias=alias)


class EmbeddedDocument(BaseEmbeddedDocument):
    """A document stored inside another one (no collection, no ``_id``)::

    class Comment(EmbeddedDocument):
        text = StringField(required=True)
        author = ReferenceField(User)

    await post.comments[0].load_references()
    """

    async def load_references(self, fields: list[str] | None = None) -> LoadedReferences:
        """Load the references of this embedded document (all, or those named): one query
        per referenced collection, on the connection its model resolves."""
        return await load_references([self], fields)


@dataclass_transform(kw_only_default=True, eq_default=False)
class _TypedConstructor:
    """Makes type checkers derive the constructor of its subclasses from their annotated class
    attributes (PEP 681): keyword-only, each optional, typed as its field accepts values, and no
    field-by-field ``__eq__`` (documents compare by ``_id``). At runtime the constructor is
    ``BaseDocument``'s, unchanged."""

    __slots__ = ()


class TypedDocument(Document, _TypedConstructor):
    """A ``Document`` whose constructor type checkers check: annotate each field with its
    class, ``User(nme="Ada")`` and ``User(age="x")`` are then errors::

        class User(TypedDocument):
            name: StringField[str] = StringField(required=True)
            age: IntField[int | None] = IntField()
    """

    if TYPE_CHECKING:  # ``_id`` (declared by CollectionDocument) as a constructor keyword
        _id: ObjectIdField[ObjectId | None] = ObjectIdField(db_field="_id")


class TypedEmbeddedDocument(EmbeddedDocument, _TypedConstructor):
    """An ``EmbeddedDocument`` whose constructor type checkers check (see ``TypedDocument``)."""
