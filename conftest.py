"""Repository-wide pytest configuration.

For ``pytest --nbval book``: compare only what a re-execution reproduces exactly. Rich outputs
(HTML tables, JavaScript, widget views) and stderr (library warnings, progress messages) vary
between machines and library versions, so nbval skips them; text/plain and PNGs are handled by
nbval's defaults (PNGs are not compared), and cells marked ``# NBVAL_IGNORE_OUTPUT`` are not compared.
Unit tests (``pytest tests``) are unaffected.

MPLBACKEND is deliberately left alone: ipykernel then uses the inline backend, whose figure
outputs (a PNG plus a ``<Figure size ...>`` text) are the same on every run. Forcing Agg would
drop the figures from re-executed cells and make them differ from the stored ones.
"""
from __future__ import annotations


NBVAL_SKIP_COMPARE = (
    "text/html",
    "application/javascript",
    "application/vnd.jupyter.widget-view+json",
    "application/vnd.jupyter.widget-state+json",
    "stderr",
)


def pytest_collectstart(collector):
    """nbval's documented hook: widen the list of output kinds it does not compare."""
    path = getattr(collector, "path", None)
    if path is not None and path.suffix == ".ipynb" and hasattr(collector, "skip_compare"):
        collector.skip_compare += NBVAL_SKIP_COMPARE
