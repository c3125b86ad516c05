"""Fields that name a document class by string (``EmbeddedDocumentField("Comment")``,
``ReferenceField("Shadowed")``) find it through the class registry, preferring the class of
their own module over a later one of the same name elsewhere (no server needed)."""

from __future__ import annotations

from aiomotorengine import (
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    IntField,
    ListField,
    ReferenceField,
    StringField,
)


class Comment(EmbeddedDocument):
    text = StringField(required=True)
    votes = IntField(default=0)


def test_embedded_name_prefers_the_declaring_module() -> None:
    class Comment(EmbeddedDocument):  # same class name, another module, defined last
        __module__ = "some.other.module"
        body = IntField()

    class Post(Document):
        comments = ListField(EmbeddedDocumentField("Comment"))

    post = Post(comments=[{"text": "mine"}])
    assert type(post.comments[0]).__module__ == __name__
    assert post.comments[0].text == "mine"


def test_a_reference_by_name_prefers_the_class_of_the_declaring_module() -> None:
    import types

    from aiomotorengine.base.document import DocumentMetaclass

    elsewhere = types.ModuleType("elsewhere_models")
    exec(
        "from aiomotorengine import Document, StringField\n"
        "class Shadowed(Document):\n"
        "    title = StringField()\n",
        elsewhere.__dict__,
    )

    class Shadowed(Document):  # same name, this module: defined last elsewhere would win
        name = StringField()

    class Holder(Document):
        target = ReferenceField("Shadowed")

    assert isinstance(Shadowed, DocumentMetaclass)
    # Defined after ours, the other module's class owns the bare name in the registry...
    exec("class Shadowed2(Document): pass", elsewhere.__dict__)
    exec(
        "from aiomotorengine.base.registry import _classes\n_classes['Shadowed'] = Shadowed\n",
        elsewhere.__dict__,
    )
    # ...yet the field resolves the one of its own module.
    assert Holder._fields["target"].reference_type is Shadowed  # type: ignore[attr-defined]
