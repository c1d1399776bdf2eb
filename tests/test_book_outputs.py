"""The chapters' stored outputs hold no absolute path of the machine that executed them.

A path such as ``/work/...``, ``/tmp/...`` or a home folder in a rendered chapter tells the reader about
someone else's disk, and usually means the chapter read or wrote something outside the repository.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

BOOK = Path(__file__).resolve().parents[1] / "book"
CHAPTERS = sorted(BOOK.glob("*.ipynb"))
#: An absolute path under a machine-specific top-level folder (not part of a URL or a relative path).
MACHINE_PATH = re.compile(r"(?<![\w.:/~-])/(?:work|tmp|root|home|Users|mnt|scratch)/")


def _texts(output) -> list[str]:
    """Every piece of text an output stores: stream text, tracebacks, text/* and JSON representations."""
    texts = [output.get("text", "")] + list(output.get("traceback", []))
    for mime, value in output.get("data", {}).items():
        if mime.startswith("text/") or mime.endswith("json"):
            texts.append(value if isinstance(value, str) else "".join(value) if isinstance(value, list) else str(value))
    return texts


def test_there_are_chapters():
    assert len(CHAPTERS) >= 10


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.name)
def test_outputs_hold_no_machine_paths(chapter):
    notebook = nbformat.read(chapter, as_version=4)
    found = []
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            for text in _texts(output):
                for match in MACHINE_PATH.finditer(text):
                    line = text[text.rfind("\n", 0, match.start()) + 1:].split("\n", 1)[0]
                    found.append(f"{chapter.name} cell {index} (id {cell.get('id')}): {line.strip()[:160]}")
    assert not found, "absolute paths of the executing machine in stored outputs:\n" + "\n".join(found)
