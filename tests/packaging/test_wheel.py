"""The distribution as users install it: a wheel and an sdist built from this tree, the wheel
installed with its ``embedded`` extra in a fresh virtual environment that sees neither the source
tree nor the development environment, then used from a directory outside the tree: the import,
a round trip through the embedded server, ``python -m aiomotorengine --version`` and the pytest
plugin.

Building needs the dev extra (``build``, ``hatchling``, ``twine``; ``make test`` installs it).
Installing needs the package index or pip's cache: when pip cannot reach the index the tests skip,
except under CI (``CI=true``), where they fail. Every subprocess has a timeout; the module takes
well under a minute when pip's cache is warm.
"""

from __future__ import annotations

import configparser
import email.parser
import importlib.util
import os
import re
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DISTRIBUTION = "aiomotorengine-odm"
FILE_PREFIX = "aiomotorengine_odm"
PLUGIN_ENTRY_POINT = ("aiomotorengine", "aiomotorengine.testing.plugin")

# What pip prints when it cannot reach the index (connection, DNS, proxy or TLS failures).
_OFFLINE = re.compile(
    r"NewConnectionError|Failed to establish a new connection|Temporary failure in name "
    r"resolution|Name or service not known|Network is unreachable|ConnectTimeoutError|"
    r"ProxyError|SSLError|Max retries exceeded"
)


@dataclass(frozen=True)
class Built:
    wheel: Path
    sdist: Path
    version: str


@dataclass(frozen=True)
class Installed:
    prefix: Path  # the fresh virtual environment
    python: Path
    workdir: Path  # outside the source tree
    version: str  # the wheel's


def _run(
    command: list[str],
    *,
    timeout: float,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _output(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit status {result.returncode}\n{result.stdout}\n{result.stderr}"


def _require_tool(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.fail(f"{module} is not installed here: install the dev extra (make test does)")


def _isolated_environment(prefix: Path) -> dict[str, str]:
    """This process's environment without what would leak the source tree or the development
    environment into the fresh one (PYTHONPATH, the virtualenv, pytest's and xdist's variables),
    and without MONGODB_URI, so the plugin starts its own embedded server."""
    leaks = ("PYTHON", "PYTEST", "VIRTUAL_ENV", "MONGODB_URI")
    environment = {key: value for key, value in os.environ.items() if not key.startswith(leaks)}
    environment["PATH"] = os.pathsep.join([str(prefix / "bin"), environment.get("PATH", "")])
    return environment


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """An sdist, and a wheel built from that sdist, without build isolation (no downloads)."""
    _require_tool("build")
    _require_tool("hatchling")
    out = tmp_path_factory.mktemp("dist")
    result = _run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        timeout=120,
    )
    assert result.returncode == 0, _output(result)
    (wheel,) = out.glob(f"{FILE_PREFIX}-*-py3-none-any.whl")
    (sdist,) = out.glob(f"{FILE_PREFIX}-*.tar.gz")
    return Built(wheel, sdist, wheel.name.split("-")[1])


@pytest.fixture(scope="module")
def installed(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel with its ``embedded`` extra, pytest and pytest-asyncio, in a fresh virtual
    environment (no system site packages)."""
    prefix = tmp_path_factory.mktemp("venv")
    workdir = tmp_path_factory.mktemp("user")
    assert not workdir.is_relative_to(ROOT)
    created = _run([sys.executable, "-m", "venv", "--clear", str(prefix)], timeout=120)
    assert created.returncode == 0, _output(created)
    python = prefix / "bin" / "python"
    # The same pytest and pytest-asyncio as here, so pip's cache usually has them.
    requirements = [
        f"{built.wheel}[embedded]",
        f"pytest=={metadata.version('pytest')}",
        f"pytest-asyncio=={metadata.version('pytest-asyncio')}",
    ]
    pip = [str(python), "-I", "-m", "pip", "install", "--no-input", "--disable-pip-version-check"]
    result = _run(
        [*pip, *requirements], timeout=240, cwd=workdir, env=_isolated_environment(prefix)
    )
    if result.returncode != 0 and _OFFLINE.search(result.stdout + result.stderr):
        message = "pip cannot reach the package index to install the wheel's dependencies"
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            pytest.fail(f"{message} (CI must reach it):\n{_output(result)}")
        pytest.skip(message)
    assert result.returncode == 0, _output(result)
    return Installed(prefix, python, workdir, built.version)


def _python(installed: Installed, *arguments: str, timeout: float = 60) -> str:
    """Run the fresh environment's Python in isolated mode (no PYTHON* variables, no user site,
    no current directory on sys.path) from the directory outside the tree; its stdout."""
    result = _run(
        [str(installed.python), "-I", *arguments],
        timeout=timeout,
        cwd=installed.workdir,
        env=_isolated_environment(installed.prefix),
    )
    assert result.returncode == 0, _output(result)
    return result.stdout


def test_wheel_holds_the_package_typed_with_the_plugin_entry_point(built: Built) -> None:
    with zipfile.ZipFile(built.wheel) as wheel:
        names = wheel.namelist()
        dist_info = f"{FILE_PREFIX}-{built.version}.dist-info"
        entry_points = configparser.ConfigParser()
        entry_points.read_string(wheel.read(f"{dist_info}/entry_points.txt").decode())
        core_metadata = email.parser.Parser().parsestr(wheel.read(f"{dist_info}/METADATA").decode())
    assert {name.split("/")[0] for name in names} == {"aiomotorengine", dist_info}
    assert "aiomotorengine/py.typed" in names
    assert "aiomotorengine/testing/plugin.py" in names
    assert f"{dist_info}/licenses/LICENSE" in names
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
    assert dict(entry_points["pytest11"]) == dict([PLUGIN_ENTRY_POINT])
    assert core_metadata["Name"] == DISTRIBUTION and core_metadata["Version"] == built.version
    assert core_metadata["License-Expression"] == "MIT"
    assert "secantusdb==0.7.0b3; extra == 'embedded'" in core_metadata.get_all("Requires-Dist", [])


def test_sdist_holds_the_tests_and_docs(built: Built) -> None:
    top = f"{FILE_PREFIX}-{built.version}"
    with tarfile.open(built.sdist) as sdist:
        names = {name.removeprefix(f"{top}/") for name in sdist.getnames()}
    expected = {
        "pyproject.toml",
        "README.md",
        "CHANGELOG.md",
        "LICENSE",
        "Makefile",
        "aiomotorengine/py.typed",
        "tests/conftest.py",
        "tests/test_docs.py",
        "tests/packaging/test_wheel.py",
        "docs/guide.md",
        "docs/testing.md",
        "docs/upgrading.md",
        "bench/models.py",
        "examples/demo.py",
    }
    assert expected <= names
    assert not [
        name for name in names if "__pycache__" in name or name.startswith((".git/", ".ci"))
    ]


def test_twine_check_passes(built: Built) -> None:
    _require_tool("twine")
    result = _run(
        [sys.executable, "-m", "twine", "check", "--strict", str(built.wheel), str(built.sdist)],
        timeout=60,
    )
    assert result.returncode == 0, _output(result)


def test_installed_package_comes_from_the_fresh_environment(installed: Installed) -> None:
    out = _python(
        installed,
        "-c",
        "import importlib.util, aiomotorengine; "
        "print(aiomotorengine.__file__); print(aiomotorengine.__version__); "
        "print(importlib.util.find_spec('mypy') is None)",  # the dev environment is not seen
    )
    location, package_version, no_dev_environment = out.split()
    assert Path(location).is_relative_to(installed.prefix)
    assert package_version == installed.version
    assert no_dev_environment == "True"


def test_embedded_server_round_trip(installed: Installed) -> None:
    script = installed.workdir / "round_trip.py"
    script.write_text(
        textwrap.dedent(
            """
            import asyncio

            from aiomotorengine import Document, StringField, connect, disconnect
            from aiomotorengine.testing import EmbeddedServer


            class Note(Document):
                __collection__ = "notes"
                text = StringField(required=True)


            async def main() -> None:
                async with EmbeddedServer() as server:
                    db = connect("wheel_check", host=server.uri)
                    note = await Note.objects.create(text="from the wheel")
                    again = await Note.objects.get(note._id)
                    assert again is not None and again.text == "from the wheel"
                    await db.close()
                    disconnect()
                assert not server.running
                print("round trip ok")


            asyncio.run(main())
            """
        )
    )
    assert _python(installed, str(script), timeout=90) == "round trip ok\n"


def test_command_line_version(installed: Installed) -> None:
    out = _python(installed, "-m", "aiomotorengine", "--version")
    assert out == f"aiomotorengine {installed.version}\n"


def test_pytest_plugin_loads_from_the_wheel(installed: Installed) -> None:
    (installed.workdir / "pytest.ini").write_text(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    (installed.workdir / "test_plugin.py").write_text(
        textwrap.dedent(
            """
            import sys
            from pathlib import Path

            import pytest

            from aiomotorengine import Document, IntField, connect, disconnect


            class Counter(Document):
                __collection__ = "counters"
                value = IntField()


            def test_plugin_is_the_installed_one(request: pytest.FixtureRequest) -> None:
                plugin = request.config.pluginmanager.get_plugin("aiomotorengine")
                assert Path(plugin.__file__).is_relative_to(sys.prefix)


            async def test_mongodb_uri(mongodb_uri: str) -> None:
                db = connect("plugin_check", host=mongodb_uri)
                await Counter.objects.create(value=1)
                assert await Counter.objects.count() == 1
                await db.close()
                disconnect()
            """
        )
    )
    out = _python(installed, "-m", "pytest", "-q", "-p", "no:cacheprovider", timeout=90)
    assert "2 passed" in out, out
