"""The ``python -m aiomotorengine`` command line without a server: loading models by module
and by class, argument and connection errors reported without credentials, ``--version``."""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path

import pytest

import aiomotorengine
from aiomotorengine.__main__ import load_models, main

MODELS = """
from aiomotorengine import Document, Index, IntField, StringField


class Ship(Document):
    __collection__ = "cli_ships"
    __indexes__ = [Index("name", "-built")]
    name = StringField(unique=True)
    built = IntField()


class Port(Document):
    __collection__ = "cli_ports"
    code = StringField(unique=True)
"""


@pytest.fixture
def models_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    module = f"cli_models_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(textwrap.dedent(MODELS))
    monkeypatch.syspath_prepend(str(tmp_path))
    return module


def test_load_models_by_module_and_by_class(models_module: str) -> None:
    everything = load_models([models_module])
    assert sorted(model.__name__ for model in everything) == ["Port", "Ship"]
    assert [m.__name__ for m in load_models([f"{models_module}:Ship"])] == ["Ship"]
    with pytest.raises(LookupError, match="'Nope' is not a Document class"):
        load_models([f"{models_module}:Nope"])


def test_cli_reports_errors_without_credentials(
    models_module: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["sync-indexes", "--connect", "nope", models_module])
    assert status == 1
    assert "--connect takes ALIAS=URI" in capsys.readouterr().err

    status = main(["sync-indexes", "--alias", "unknown", f"{models_module}:Port"])
    assert status == 1
    assert "no connection registered under alias 'unknown'" in capsys.readouterr().err

    status = main(
        [
            "sync-indexes",
            "--connect",
            "s=mongodb://user:s3cret@127.0.0.1:1/db?serverSelectionTimeoutMS=200",
            f"{models_module}:Port",
        ]
    )
    err = capsys.readouterr().err
    assert status == 1 and "s3cret" not in err and "error:" in err


def test_version_flag_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"aiomotorengine {aiomotorengine.__version__}\n"
