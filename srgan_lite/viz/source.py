"""Library code shown inside a chapter, in Jupyter, Colab and the HTML book alike.

A ``{literalinclude}`` directive renders only in the built book; a notebook opened in Jupyter or Colab
(where the launch buttons send readers) shows the directive, not the code. :func:`show_source` returns
an object that every front end displays: highlighted HTML where HTML renders, the plain source text
elsewhere. The text is what nbval compares, so a chapter that quotes a function fails its test when the
function changes, and the prose around it is re-read.
"""
from __future__ import annotations

import importlib
import inspect
import textwrap
from typing import Any


class Source:
    """Python source with an HTML (highlighted) and a plain-text representation."""

    def __init__(self, text: str, title: str) -> None:
        self.text, self.title = text, title

    def __repr__(self) -> str:
        return f"# {self.title}\n{self.text}"

    def _repr_html_(self) -> str:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import PythonLexer

        style = HtmlFormatter(nowrap=False, style="default").get_style_defs(".srgan-source")
        body = highlight(self.text, PythonLexer(), HtmlFormatter(cssclass="srgan-source"))
        return f"<style>{style}</style><p><code>{self.title}</code></p>{body}"


def _resolve(dotted: str) -> Any:
    """``"losses.PerceptualLoss.forward"`` -> the object, importing ``srgan_lite.losses.content``."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target: Any = importlib.import_module(".".join(["srgan_lite", *parts[:cut]]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            target = getattr(target, name)
        return target
    raise ValueError(f"show_source: no module of srgan_lite starts {dotted!r}")


def show_source(obj: Any, *, start: str | None = None, stop: str | None = None) -> Source:
    """The source of a class, function or module from ``srgan_lite``, optionally cut to a part.

    Args:
        obj: what to show (``inspect.getsource`` must find it), or its dotted name inside ``srgan_lite``, such as
            ``"losses.pixel_mse"`` or ``"training.objective.SRGANObjective.generator_step"``.
        start: begin at the first line containing this text (default: the first line).
        stop: end before the first later line containing this text (default: the last line).
    """
    if isinstance(obj, str):
        obj = _resolve(obj)
    lines, _ = inspect.getsourcelines(obj)
    begin = 0 if start is None else next((i for i, line in enumerate(lines) if start in line), None)
    if begin is None:
        raise ValueError(f"show_source: {start!r} is not in the source of {getattr(obj, '__qualname__', obj)!r}")
    end = len(lines) if stop is None else next((i for i in range(begin + 1, len(lines)) if stop in lines[i]), len(lines))
    module = inspect.getmodule(obj)
    name = getattr(obj, "__qualname__", None) if not inspect.ismodule(obj) else None
    path = f"{module.__name__.replace('.', '/')}.py" if module is not None else "?"
    # no line numbers in the title: a chapter's checked output should change when the code it quotes does, not
    # when a line is added above it
    return Source(textwrap.dedent("".join(lines[begin:end])).rstrip("\n"), f"{path}: {name}" if name else path)
