"""What a document instance knows about itself: ``DocumentState`` and ``Projection``.

Only the document layer (``base`` and ``fields``) reads or changes a state; the queryset layer
works through the document's persistence methods.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

__all__ = ["Changes", "DocumentState", "Place", "Projection"]


class Place(NamedTuple):
    """Where documents are read and written: a connection ``alias`` and the database chosen
    there (``db``; ``None``: the connection's default database)."""

    alias: str
    db: str | None


class Projection:
    """What a query's ``only()``/``exclude()`` loaded into a document.

    ``stored`` holds the stored paths the query named (``"n"``, ``"address.street"``);
    ``fields`` the attribute names whose values were loaded, whole or in part; ``paths`` the
    stored sub-paths that were loaded (``only``) or left out (``excluding``, from ``exclude``):
    the values above them are partial.
    """

    __slots__ = ("excluding", "fields", "paths", "stored")

    def __init__(
        self,
        fields: Iterable[str],
        paths: Iterable[str] = (),
        *,
        excluding: bool = False,
        stored: Iterable[str] = (),
    ) -> None:
        self.fields = frozenset(fields)
        self.paths = frozenset(paths)
        self.excluding = excluding
        self.stored = tuple(stored)

    @classmethod
    def only(cls, by_db_field: Mapping[str, Any], paths: Iterable[str]) -> Projection:
        """The projection that loads the stored ``paths`` (and ``_id``) of a model whose
        fields by stored key are ``by_db_field``."""
        paths = _outermost(paths)
        names = {by_db_field[head].name for head in _heads(paths) if head in by_db_field}
        return cls(names | {"_id"}, (path for path in paths if "." in path), stored=paths)

    @classmethod
    def exclude(cls, by_db_field: Mapping[str, Any], paths: Iterable[str]) -> Projection:
        """The projection that loads everything but the stored ``paths``."""
        paths = _outermost(paths)
        gone = {by_db_field[path].name for path in paths if path in by_db_field}
        names = {field.name for field in by_db_field.values()} - gone
        return cls(names, (path for path in paths if "." in path), excluding=True, stored=paths)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Projection):
            return NotImplemented
        return (self.fields, self.paths, self.excluding, self.stored) == (
            other.fields,
            other.paths,
            other.excluding,
            other.stored,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        kind = "exclude" if self.excluding else "only"
        return f"<Projection {kind} {list(self.stored)!r}>"

    def to_find(self) -> dict[str, int]:
        """The projection document ``find`` takes."""
        return dict.fromkeys(self.stored, 0 if self.excluding else 1)

    def inside(self, db_field: str, by_db_field: Mapping[str, Any]) -> Projection | None:
        """The projection of a document embedded under ``db_field`` (whose fields by stored
        key are ``by_db_field``); ``None`` when it was loaded whole."""
        prefix = db_field + "."
        sub_paths = [path[len(prefix) :] for path in self.paths if path.startswith(prefix)]
        if not sub_paths:
            return None
        if self.excluding:
            return Projection.exclude(by_db_field, sub_paths)
        names = {by_db_field[head].name for head in _heads(sub_paths) if head in by_db_field}
        return Projection(names, (path for path in sub_paths if "." in path), stored=sub_paths)

    def partial_path_under(self, key: str) -> str | None:
        """A loaded (or left out) sub-path below the stored path ``key``, if any: a value at
        ``key`` was then loaded only in part."""
        prefix = key + "."
        return next((path for path in sorted(self.paths) if path.startswith(prefix)), None)


def _outermost(paths: Iterable[str]) -> list[str]:
    """``paths`` in order, each once, without those inside another (``"a.b"`` beside ``"a"``):
    MongoDB refuses such a projection (a path collision)."""
    unique = list(dict.fromkeys(paths))
    return [path for path in unique if not any(path.startswith(other + ".") for other in unique)]


def _heads(paths: Iterable[str]) -> set[str]:
    return {path.split(".", 1)[0] for path in paths}


class DocumentState:
    """A document's state: ``raw`` (the SON last loaded or saved), ``values`` (converted on
    first read, or assigned), ``projection`` (``None``: loaded whole), ``persisted`` (it
    exists in the database), ``alias`` and ``db`` (the connection it came from or was saved
    to, and the database chosen there; ``db`` ``None``: the connection's default), ``target``
    (``(alias, db)`` named by ``using()`` for the next writes, either part ``None``),
    ``defaulted`` (defaults shown for missing keys, by attribute name), ``normalised`` (values
    that loading changed, such as rounded decimals, by attribute name), ``deleted``
    (undeclared stored keys removed with ``del``) and ``saving`` (a save in flight)."""

    __slots__ = (
        "alias",
        "db",
        "defaulted",
        "deleted",
        "normalised",
        "persisted",
        "projection",
        "raw",
        "saving",
        "target",
        "values",
    )

    def __init__(self, values: dict[str, Any]) -> None:
        self.raw: dict[str, Any] = {}
        self.values = values
        self.projection: Projection | None = None
        self.persisted = False
        self.alias: str | None = None
        self.db: str | None = None
        self.target: tuple[str | None, str | None] | None = None
        self.defaulted: dict[str, Any] | None = None
        self.normalised: dict[str, Any] | None = None
        self.deleted: set[str] | None = None
        self.saving: asyncio.Future[None] | None = None

    def loads(self, name: str) -> bool:
        """Whether the field ``name`` was loaded (always, without a projection)."""
        projection = self.projection
        return projection is None or name in projection.fields

    def remember_default(self, name: str, son: Any) -> None:
        """A default was shown for a missing key: saving it unchanged is no change."""
        if self.defaulted is None:
            self.defaulted = {}
        self.defaulted[name] = son

    def remember_normalised(self, name: str, value: Any) -> None:
        """Loading changed the stored value into ``value`` (rounding, say): as long as the
        field holds this very object, saving it is no change."""
        if self.normalised is None:
            self.normalised = {}
        self.normalised[name] = value

    def moved_to(self, place: Place) -> None:
        """The document now lives at ``place`` (just written or read there)."""
        self.alias, self.db = place
        self.target = None

    def stored_id(self) -> Any:
        """The ``_id`` in the database (an ``_id`` assigned to a saved document is not it)."""
        identifier = self.raw.get("_id")
        return self.values.get("_id") if identifier is None else identifier

    def apply_update(self, update: Mapping[str, Mapping[str, Any]]) -> None:
        """Bring ``raw`` up to date with an acknowledged update of the operators a save sends:
        ``$set``, ``$unset``, ``$push`` (with ``$each``), ``$pullAll`` and ``$inc``. Lists are
        replaced, never changed in place: they may be shared with what the caller holds."""
        raw = self.raw
        for operator, paths in update.items():
            for path, value in paths.items():
                container, key = _walk(raw, path)
                if operator == "$set":
                    container[key] = value
                elif operator == "$unset":
                    container.pop(key, None)
                elif operator == "$push":
                    container[key] = [*container.get(key, ()), *value["$each"]]
                elif operator == "$pullAll":
                    container[key] = [item for item in container[key] if item not in value]
                elif operator == "$inc":
                    container[key] = container.get(key, 0) + value
                else:
                    raise AssertionError(operator)

    def reset(self, son: dict[str, Any], place: Place) -> None:
        """Forget every local change: the state of a document just loaded from ``son`` at
        ``place``."""
        self.raw = son
        self.values = {}
        self.projection = None
        self.persisted = True
        self.alias, self.db = place
        self.target = None
        self.defaulted = None
        self.normalised = None
        self.deleted = None

    def stored_snapshot(self) -> tuple[Any, ...]:
        """What the state knows of the stored copy, for :meth:`restore_stored`: a write inside
        a transaction that rolls back must leave the document as it was. Local changes
        (``values``) are not part of it: after a rollback, the next save sends them again."""
        return (
            copy.deepcopy(self.raw),
            self.persisted,
            self.alias,
            self.db,
            self.target,
            self.projection,
            None if self.deleted is None else set(self.deleted),
            None if self.defaulted is None else dict(self.defaulted),
            None if self.normalised is None else dict(self.normalised),
        )

    def restore_stored(self, snapshot: tuple[Any, ...]) -> None:
        """Go back to what :meth:`stored_snapshot` recorded."""
        (
            self.raw,
            self.persisted,
            self.alias,
            self.db,
            self.target,
            self.projection,
            self.deleted,
            self.defaulted,
            self.normalised,
        ) = snapshot

    async def begin_save(self) -> None:
        """Wait for a save in flight, then mark this one in flight: saves of one document
        run one after the other. Pair with :meth:`end_save`."""
        while (in_flight := self.saving) is not None:
            await asyncio.wait((in_flight,))
        self.saving = asyncio.get_running_loop().create_future()

    def end_save(self) -> None:
        """The save begun with :meth:`begin_save` is over (done or failed)."""
        done, self.saving = self.saving, None
        if done is not None:
            done.set_result(None)


class Changes:
    """What a save of a loaded document sends: ``filter`` selects the stored document (its
    ``_id``, and the version it expects when the model is versioned), ``update`` is the update
    document (``$set``, ``$unset``, ``$push``, ``$pullAll``, ``$inc``) by stored path, each
    path once."""

    __slots__ = ("filter", "update")

    def __init__(self, filter: dict[str, Any], update: dict[str, dict[str, Any]]) -> None:
        self.filter = filter
        self.update = update

    def __repr__(self) -> str:
        return f"<Changes filter={self.filter!r} update={self.update!r}>"

    def written(self) -> dict[str, Any]:
        """The values the update writes (set or appended), by path: for size errors."""
        update = self.update
        pushed = {path: value["$each"] for path, value in update.get("$push", {}).items()}
        return {**update.get("$set", {}), **pushed}


def _walk(raw: dict[str, Any], path: str) -> tuple[dict[str, Any], str]:
    *parents, key = path.split(".")
    container = raw
    for part in parents:
        child = container.get(part)
        if not isinstance(child, dict):
            child = container[part] = {}
        container = child
    return container, key
