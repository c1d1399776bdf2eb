"""Tables for the book: one object that renders as an HTML table in Jupyter and the built book, and as
aligned text where HTML does not render (and in what nbval compares)."""
from __future__ import annotations

import html
from typing import Any, Sequence


def _cell(value: Any, digits: int) -> str:
    if isinstance(value, float):
        return "inf" if value == float("inf") else f"{value:.{digits}f}"
    return "" if value is None else str(value)


class Table:
    """Rows of values under a header; floats printed with ``digits`` decimals (or per-column ``formats``)."""

    def __init__(self, header: Sequence[str], rows: Sequence[Sequence[Any]], *, digits: int = 2,
                 formats: dict[str, str] | None = None, caption: str = "") -> None:
        formats = formats or {}
        self.header, self.caption = list(header), caption
        self.cells = [[format(v, formats[h]) if h in formats and isinstance(v, (int, float)) else _cell(v, digits)
                       for h, v in zip(self.header, row)] for row in rows]

    def __repr__(self) -> str:
        widths = [max(len(h), *(len(r[i]) for r in self.cells)) if self.cells else len(h) for i, h in enumerate(self.header)]
        lines = ["  ".join(h.rjust(w) if i else h.ljust(w) for i, (h, w) in enumerate(zip(self.header, widths))).rstrip()]
        lines += ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()
                  for r in self.cells]
        return "\n".join(([self.caption] if self.caption else []) + lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in self.header)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in self.cells)
        caption = f"<caption>{html.escape(self.caption)}</caption>" if self.caption else ""
        return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def show_table(header: Sequence[str], rows: Sequence[Sequence[Any]], **kwargs: Any) -> Table:
    """A :class:`Table` (see there); end a cell with it to display it."""
    return Table(header, rows, **kwargs)
