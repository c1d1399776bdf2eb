"""Sphinx extension for the book: two things a reader of the built HTML would otherwise see.

1. A Sphinx 7 bug that puts a JavaScript error on every page. Jupyter Book 1.x needs Sphinx 7, whose
   HTML builder writes every inline ``<script>`` that an extension adds after the builder has started
   *twice* (``None`` and ``''`` filenames are not seen as the same file; fixed in Sphinx 8 by
   sphinx-doc/sphinx#13402). sphinx-thebe's inline script declares ``const THEBE_JS_URL``, so the second
   copy throws "Identifier 'THEBE_JS_URL' has already been declared". ``drop_duplicate_scripts`` removes
   the duplicates from each page's script list; with Sphinx 8 there are none and it does nothing.
2. Bibliography labels that match the citations. The text cites author-year ("[Ledig et al., 2017]",
   ``bibtex_reference_style: author_year``) but pybtex's default labels are alpha codes ("[LTHuszar+17]").
   The ``authoryear`` style (``bibtex_default_style`` in _config.yml) labels each entry the way the text
   cites it, sorted by author and year.

``tests/test_book_browser.py`` fails on any console error.
"""
from __future__ import annotations

import pybtex.plugin
from pybtex.richtext import Text
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle


def _key(script) -> tuple:
    attributes = getattr(script, "attributes", {}) or {}
    return (getattr(script, "filename", script) or "", getattr(script, "priority", 500),
            tuple(sorted((str(k), str(v)) for k, v in attributes.items())))


def drop_duplicate_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple] = set()
    unique = []
    for script in scripts:
        key = _key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique  # the builder's own list: it restores its copy after each page


def _last_name(person) -> str:
    return Text.from_latex(" ".join(person.prelast_names + person.last_names)).render_as("text")


class AuthorYearLabelStyle(BaseLabelStyle):
    """"Ledig et al., 2017", "Ioffe and Szegedy, 2015", "Goodfellow et al., 2014a" (when two would clash)."""

    def format_labels(self, sorted_entries):
        labels = [self.format_label(entry) for entry in sorted_entries]
        for label in labels:
            if labels.count(label) > 1:
                break
        else:
            yield from labels
            return
        seen: dict[str, int] = {}
        for label in labels:
            if labels.count(label) == 1:
                yield label
                continue
            seen[label] = seen.get(label, 0) + 1
            yield f"{label}{chr(ord('a') + seen[label] - 1)}"

    @staticmethod
    def format_label(entry) -> str:
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        if not people:
            names = entry.fields.get("key") or entry.key
        elif len(people) == 1:
            names = _last_name(people[0])
        elif len(people) == 2:
            names = f"{_last_name(people[0])} and {_last_name(people[1])}"
        else:
            names = f"{_last_name(people[0])} et al."
        return f"{names}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearStyle(PlainStyle):
    default_label_style = AuthorYearLabelStyle
    default_sorting_style = "author_year_title"


pybtex.plugin.register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)


def setup(app):
    # Late (default is 500): after the extensions that add per-page scripts (MathJax, myst-nb).
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
