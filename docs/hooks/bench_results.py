"""MkDocs hook: the site serves the benchmark's results where the repository keeps them.

``python -m bench`` writes ``bench/results/RESULTS.md`` and its chart outside ``docs/``, and MkDocs
builds only what is under ``docs/``. Rather than copying them there, this hook adds them to the
build as generated files at ``bench/results/`` on the site. The pages link to them as
``/bench/results/...``: GitHub reads such a link from the repository's root, and MkDocs, with
``validation.links.absolute_links: relative_to_docs``, from the site's, so the same link works in
the Markdown sources and on the site. A missing file fails the strict build (its nav entry).
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

RESULTS = Path("bench", "results")
SERVED = {".md", ".png"}  # the table and its chart, not the benchmark's temporary files


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add ``bench/results/*.md`` and ``*.png`` to the site at the same paths."""
    root = Path(config.config_file_path).parent
    for path in sorted((root / RESULTS).iterdir()):
        if path.suffix in SERVED:
            uri = (RESULTS / path.name).as_posix()
            files.append(File.generated(config, uri, abs_src_path=str(path)))
    return files
