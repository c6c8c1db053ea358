"""The calibration report's frame: where the references are, and tables that fit the width.

``vppsim calibrate`` prints DataFrames of figures. Drawn as one rich table each, a wide
frame on an 80-column terminal (or piped, where rich assumes 80 columns) had its numbers
cut to ``0…``. :func:`frame_tables` instead splits the columns over as many tables as it
takes for every word and number to fit whole, repeating the row labels in each.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from vppsim.errors import ConfigError

REFERENCE_ENV = "VPPSIM_REFERENCE"
"""Environment variable naming the reference folder (``solar/``, ``market/``, ``load/``)."""

MISSING = "-"
"""How a missing figure is shown."""
MISSING_NOTE = f"{MISSING}: no value (nothing to measure, e.g. a month without such an event)"


def project_root() -> Path | None:
    """The repository checkout this module runs from, or None for an installed package."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() else None


def reference_dir(explicit: Path | None = None) -> Path:
    """The reference folder: ``explicit``, else ``$VPPSIM_REFERENCE``, else the repository's
    ``../shared/reference``; never a folder relative to the working directory by default.

    Raises
    ------
    ConfigError
        The folder does not exist, or no default can be found (an installed package).
    """
    hint = f"pass --reference or set {REFERENCE_ENV}"
    if explicit is not None:
        path = Path(explicit)
    elif os.environ.get(REFERENCE_ENV):
        path = Path(os.environ[REFERENCE_ENV])
    else:
        root = project_root()
        if root is None:
            raise ConfigError(f"no reference folder known outside a checkout: {hint}")
        path = root.parent / "shared" / "reference"
    path = path.expanduser().absolute()
    if not path.is_dir():
        raise ConfigError(f"reference folder not found: {path} ({hint})")
    return path


def format_cell(value: Any) -> str:
    """One figure as text: ``1,557.8`` from 100 up, ``0.452`` below, ``-`` when missing,
    ``yes``/``no`` for a verdict."""
    if isinstance(value, str):
        return value
    if value is None or value is pd.NA or value is pd.NaT:
        return MISSING
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, pd.Period | pd.Timestamp):
        return str(value)
    number = float(value)
    if math.isnan(number):
        return MISSING
    return f"{number:,.1f}" if abs(number) >= 100 else f"{number:.3f}"


def _labels(index: pd.Index) -> tuple[list[str], list[list[str]]]:
    """Row-label column names and, per row, one text label per index level."""

    def text(label: Any) -> str:  # a year or an hour is a name, not a count: no separator
        return str(label) if isinstance(label, int | np.integer) else format_cell(label)

    if isinstance(index, pd.MultiIndex):
        names = [str(name) if name is not None else "" for name in index.names]
        return names, [[text(part) for part in label] for label in index]
    name = str(index.name) if index.name is not None else ""
    return [name], [[text(label)] for label in index]


def _span(texts: Sequence[str]) -> tuple[int, int]:
    """The narrowest a column of ``texts`` can be without breaking a word, and its widest."""
    words = [cell_len(word) for text in texts for word in text.split()]
    return max(words, default=1), max((cell_len(text) for text in texts), default=1)


def _widths(spans: Sequence[tuple[int, int]], room: int) -> list[int]:
    """Column widths: each its narrowest, then the room left shared out up to its widest.

    With less room than the narrowest (a terminal narrower than one long word), the widest
    columns give way, down to one character, and their words fold.
    """
    widths = [low for low, _ in spans]
    left = room - sum(widths)
    while left < 0 and max(widths) > 1:
        widths[widths.index(max(widths))] -= 1
        left += 1
    while left > 0:
        short = [i for i, (_, high) in enumerate(spans) if widths[i] < high]
        if not short:
            break
        share = max(1, left // len(short))
        for i in short:
            grow = min(share, spans[i][1] - widths[i], left)
            widths[i] += grow
            left -= grow
    return widths


def _extra(columns: int) -> int:
    """What the box and padding add to the cells' widths: a rule and two spaces a column."""
    return 3 * columns + 1


def frame_tables(title: str, frame: pd.DataFrame, width: int) -> list[Table]:
    """``frame`` as rich tables no wider than ``width``, no word or number cut.

    Columns are taken in order and a new table is started when the next column would
    make the current one too wide for its longest words; each table repeats the row
    labels (one column per index level). The first table carries ``title``, the others
    "(continued)". A missing value is drawn as ``-`` and explained in a caption (the
    frame's ``attrs["missing"]`` when it says why, else a generic note). Column
    widths are set here, so rich never squeezes a column below its longest word; a word
    wider than the whole table is folded onto the next line, never cut.
    """
    label_names, labels = _labels(frame.index)
    headers = [str(column) for column in frame.columns]
    cells = [[format_cell(value) for value in row] for row in frame.itertuples(index=False)]
    label_spans = [
        _span([name, *(row[level] for row in labels)]) for level, name in enumerate(label_names)
    ]
    spans = [_span([header, *(row[i] for row in cells)]) for i, header in enumerate(headers)]

    groups: list[list[int]] = [[]]
    for number, (low, _) in enumerate(spans):
        used = [label_spans[j][0] for j in range(len(label_names))]
        used += [spans[i][0] for i in groups[-1]]
        if groups[-1] and sum(used) + low + _extra(len(used) + 1) > width:
            groups.append([])
        groups[-1].append(number)

    tables = []
    for part, columns in enumerate(groups):
        chosen = [*label_spans, *(spans[i] for i in columns)]
        widths = _widths(chosen, width - _extra(len(chosen)))
        table = Table(
            title=escape(title if part == 0 else "(continued)"),
            title_justify="left",
            caption_justify="left",
        )
        for name, size in zip(label_names, widths, strict=False):
            table.add_column(escape(name), width=size, overflow="fold")
        for i, size in zip(columns, widths[len(label_names) :], strict=True):
            table.add_column(escape(headers[i]), width=size, justify="right", overflow="fold")
        rows = [
            [*label, *(row[i] for i in columns)] for label, row in zip(labels, cells, strict=True)
        ]
        for row in rows:
            table.add_row(*(escape(text) for text in row))
        if any(MISSING in row for row in rows):
            table.caption = escape(frame.attrs.get("missing", MISSING_NOTE))
        tables.append(table)
    return tables


def tables_text(tables: Mapping[str, pd.DataFrame], width: int = 100) -> str:
    """Report tables as plain text (no colour), drawn as ``vppsim calibrate`` draws them."""
    console = Console(file=io.StringIO(), width=width, color_system=None)
    for title, frame in tables.items():
        for table in frame_tables(title, frame, width):
            console.print(table)
    return console.file.getvalue()
