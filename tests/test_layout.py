"""The package's shape: what importing it costs, and that the book's chapters find every name they use."""
import ast
import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from srgan_lite.viz import show_source

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))


def _cells(kind: str):
    for chapter in CHAPTERS:
        for cell in json.loads(chapter.read_text())["cells"]:
            if cell["cell_type"] == kind:
                yield chapter.name, "".join(cell["source"])


def test_importing_the_package_imports_no_matplotlib_nor_torchvision():
    """Both load lazily: matplotlib only for figures, torchvision (~3 s, with torch._dynamo) only for VGG19."""
    code = ("import sys, srgan_lite, srgan_lite.viz, srgan_lite.training.loop, srgan_lite.cli; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'matplotlib', 'torchvision'}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def _dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for an attribute chain rooted at a plain name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return ".".join([node.id, *reversed(parts)]) if isinstance(node, ast.Name) else None


def test_chapters_use_only_names_that_exist():
    """Every ``from srgan_lite... import x``, ``sl.a.b`` (``import srgan_lite as sl``) and ``viz.x`` in a chapter resolves."""
    imports, chains = set(), set()
    for chapter, source in _cells("code"):
        code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "srgan_lite":
                imports.update((chapter, node.module, alias.name) for alias in node.names)
            elif isinstance(node, ast.Attribute) and (dotted := _dotted(node)) and dotted.split(".")[0] in ("sl", "viz"):
                chains.add((chapter, dotted))
    assert len(imports) + len(chains) > 150  # the chapters were read
    missing = [f"{c}: from {m} import {n}" for c, m, n in sorted(imports) if not hasattr(importlib.import_module(m), n)
               and not _is_module(f"{m}.{n}")]
    roots = {"sl": importlib.import_module("srgan_lite"), "viz": importlib.import_module("srgan_lite.viz")}
    for chapter, dotted in sorted(chains):
        head, *rest = dotted.split(".")
        obj = roots[head]
        for index, part in enumerate(rest):
            if not hasattr(obj, part):
                # a prefix that resolved may be an object whose attributes are the chapter's own (a config's fields)
                if index == 0 or isinstance(obj, type(importlib)):
                    missing.append(f"{chapter}: {dotted}")
                break
            obj = getattr(obj, part)
    assert not missing, missing


def _is_module(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def _defined(path: Path, dotted: str) -> bool:
    scope = ast.parse(path.read_text()).body
    for part in dotted.split("."):
        found = [n for n in scope if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == part]
        if not found:
            return False
        scope = found[0].body
    return True


def test_code_the_chapters_quote_is_where_they_look_for_it():
    # literalinclude renders only in the HTML book (Jupyter and Colab show the directive): chapters use viz.show_source
    assert not [chapter for chapter, source in _cells("markdown") if "literalinclude" in source]
    quoted = {(chapter, name) for chapter, source in _cells("code")
              for name in re.findall(r'viz\.show_source\("([\w.]+)"', source)}
    assert len(quoted) > 20
    missing = []
    for chapter, name in sorted(quoted):
        try:
            show_source(name)
        except (ValueError, AttributeError) as exc:
            missing.append(f"{chapter}: {name} ({exc})")
    assert not missing, missing


@pytest.mark.parametrize("name", ["pick_device", "sha256_file", "grey_to_rgb"])
def test_shared_helpers_are_written_once(name):
    definitions = [p.relative_to(ROOT).as_posix() for p in (ROOT / "srgan_lite").rglob("*.py")
                   if re.search(rf"^def {name}\(", p.read_text(), re.M)]
    assert definitions == ["srgan_lite/utils.py"]
