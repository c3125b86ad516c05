"""A loaded document whose state is made on first need (``BaseDocument._state``) behaves as
if it had its ``DocumentState`` from the moment it was loaded: shallow copies share it, a
model's own private attributes never meet it, and two threads making it lose no write.
"""

from __future__ import annotations

import copy
import datetime
import sys
import threading

from aiomotorengine import Database, DateTimeField, Document, IntField, StringField


class Visitor(Document):
    __collection__ = "review_lazy_visitors"
    name = StringField(db_field="n")
    age = IntField()
    seen = DateTimeField()


SEEN = datetime.datetime(2020, 1, 2)


async def _loaded() -> Visitor:
    await Visitor(name="Ada", age=36, seen=SEEN).save()
    return await Visitor.objects.get(name="Ada")


async def test_shallow_copy_of_a_loaded_document_shares_its_state_whether_touched_or_not(
    db: Database,
) -> None:
    """``copy.copy`` of a document shares its state (it did for every document before, and
    still does for a new or touched one); a loaded untouched document now gets its own."""
    touched = await _loaded()
    _ = touched.seen  # a DateTimeField read makes the state
    copied = copy.copy(touched)
    copied.name = "Grace"
    assert touched.name == "Grace"  # passes: the state is shared

    untouched = await Visitor.objects.get(_id=touched._id)
    copied = copy.copy(untouched)
    copied.name = "Grace"
    assert untouched.name == "Grace"  # fails now: 'Ada', the copy made a state of its own


class Imported(Document):
    __collection__ = "review_lazy_visitors"
    _origin = "csv-import"  # a model's own private attribute, harmless before
    name = StringField(db_field="n")
    seen = DateTimeField()


async def test_private_attributes_named_origin_or_st_do_not_break_loaded_documents(
    db: Database,
) -> None:
    """``_origin``/``_st`` are new slot names of BaseDocument: a model or a caller using one of
    these private names (free before) breaks every loaded document's fields."""
    loaded = await _loaded()
    loaded._origin = "cache"  # an instance attribute: went to __dict__ before, now to the slot
    assert loaded.seen == SEEN  # now: ValueError, too many values to unpack (expected 3)

    imported = await Imported.objects.get(name="Ada")  # the class attribute shadows the slot
    assert imported.seen == SEEN  # now: ValueError too


def test_an_assignment_from_another_thread_is_not_lost_while_the_state_is_made() -> None:
    """Two threads using one loaded document: the reader's ``_state`` (check ``_st``, make,
    store) can replace the state the writer just assigned to; the assignment is lost."""
    son = {"_id": None, "n": "Ada", "seen": SEEN}
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        lost = 0
        for _ in range(10):
            documents = Visitor.hydrate([dict(son) for _ in range(20_000)])

            def read(documents: list[Visitor] = documents) -> None:
                for document in documents:
                    _ = document.seen

            def write(documents: list[Visitor] = documents) -> None:
                for document in documents:
                    document.name = "Grace"

            threads = [threading.Thread(target=read), threading.Thread(target=write)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            lost = sum(document.name != "Grace" for document in documents)
            if lost:
                break
    finally:
        sys.setswitchinterval(interval)
    assert lost == 0
