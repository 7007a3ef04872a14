"""Render a board: ``README.md`` (Markdown table) and ``index.html`` (table + plot).

Both files are pure functions of ``board.json`` and the entry files: no clock, no random
numbers, entries sorted by a fixed key, a matplotlib SVG with a fixed hash salt and no date
metadata. Rendering the same entries twice gives byte-identical files, so a re-render shows
up in ``git diff`` only when the board really changed.

Sort order: the benchmark's main score, ROC-AUC (descending), then the average rank
(ascending), then name and slug (:func:`nlc.leaderboard.columns.board_order`); the header
says so in one line. Titles and decimals are the metric table's, and a top-k figure the
protocol makes trivial reads ``n/a``, with a line under the header saying why
(:func:`nlc.benchmark.report.not_applicable_note`), as in the run summary and Table 2.
"""

from __future__ import annotations

import html
import io
import os
import re
from pathlib import Path

from nlc.atomic import write_text
from nlc.benchmark.report import METHOD_DIGITS, NOT_APPLICABLE, not_applicable_note
from nlc.leaderboard.board import BoardConfig, board_lock, load_board
from nlc.leaderboard.entry import load_entries
from nlc.leaderboard.columns import COLUMNS, Figure, Row, board_order, method_columns, order_line, row_of
from nlc.leaderboard.plot import scatter_svg

VERIFIED_MARK: str = "✓"
UNVERIFIED_MARK: str = "–"


def sorted_rows(board: str | os.PathLike[str]) -> list[Row]:
    """Display rows of a board's entries in board order (see module docstring)."""
    return board_order(row_of(entry) for entry in load_entries(board))


def _fmt(row: Row, key: str, digits: int, *, ci_sep: str = " ", ci_wrap: tuple[str, str] = ("", ""),
         per_method: bool = False) -> str:
    """``value [low, high]`` with ``digits`` decimals.

    "n/a" if the entry lacks the figure, or if it is a top-k figure that the entry's protocol
    makes trivial (no query has more than k candidates: every model scores 1.00).
    """
    fig: Figure | None = (row.method_accuracy if per_method else row.figures).get(key)
    if fig is None or (not per_method and row.trivial(key)):
        return NOT_APPLICABLE
    text = f"{fig.value:.{digits}f}"
    if fig.low is not None and fig.high is not None:
        text += f"{ci_sep}{ci_wrap[0]}[{fig.low:.{digits}f}, {fig.high:.{digits}f}]{ci_wrap[1]}"
    return text


def _md_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("[", "\\[").replace("]", "\\]")


def _confidence(rows: list[Row]) -> str:
    levels = sorted({r.confidence for r in rows if r.confidence is not None})
    return "/".join(f"{100 * c:g}%" for c in levels) or "95%"


def _header_lines(config: BoardConfig, rows: list[Row]) -> list[str]:
    """Markdown paragraphs under the title (code spans and bold are converted for HTML)."""
    if config.awaiting:
        return [f"**Awaiting its release ({config.release}).** {config.note}"]
    n_verified = sum(r.verified for r in rows)
    lines = [
        f"Release **{config.release}**: protocol version `{config.protocol_version}`, "
        f"protocol hash `{config.protocol_hash}`, dataset fingerprint `{config.dataset_fingerprint}`, "
        f"results schema `{config.results_schema_version}`.",
        f"{len(rows)} {'entry' if len(rows) == 1 else 'entries'}, {n_verified} verified ({VERIFIED_MARK}: re-run by "
        "`nlc-bench leaderboard verify` and reproduced). "
        f"Brackets: {_confidence(rows)} bootstrap confidence intervals.",
        order_line(),
    ]
    note = not_applicable_note(r.n_candidates for r in rows)
    return lines + ([note] if note else [])


def _md_to_html(line: str) -> str:
    text = html.escape(line)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", text)


def render_markdown(config: BoardConfig, rows: list[Row]) -> str:
    """The board's README.md text."""
    lines = [f"# {config.title}", ""]
    for paragraph in _header_lines(config, rows):
        lines += [paragraph, ""]
    if rows:
        head = ["#", "Model", "Verified"] + [c.title for c in COLUMNS] + ["Links", "Submitted"]
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for i, row in enumerate(rows, 1):
            links = " ".join(f"[{k}]({u})" for k, u in (("paper", row.paper), ("code", row.code)) if u) or ""
            cells = [str(i), _md_escape(row.name), VERIFIED_MARK if row.verified else UNVERIFIED_MARK]
            cells += [_fmt(row, c.key, c.digits) for c in COLUMNS] + [links, row.submitted[:10]]
            lines.append("| " + " | ".join(cells) + " |")
        methods = method_columns(rows)
        if methods:
            lines += ["", "Classification accuracy per protocol method (for a negative method: the fraction "
                      "of its pairs rejected; for `positive`: the fraction accepted):", "",
                      "| Model | " + " | ".join(methods) + " |", "|" + "---|" * (len(methods) + 1)]
            for row in rows:
                cells = [_fmt(row, m, METHOD_DIGITS, per_method=True) for m in methods]
                lines.append(f"| {_md_escape(row.name)} | " + " | ".join(cells) + " |")
        lines += ["", "The plot of ranking against classification is in `index.html`.", ""]
    else:
        lines += ["No entries yet. See `docs/leaderboard.md` for how to submit.", ""]
    return "\n".join(lines)


def render_html(config: BoardConfig, rows: list[Row]) -> str:
    """The board's index.html text: same table as the README, plus the scatter plot."""
    esc = html.escape
    out = io.StringIO()
    out.write("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
    out.write(f"<title>{esc(config.title)}</title>\n<style>\n")
    out.write("body{font-family:sans-serif;max-width:80em;margin:2em auto;padding:0 1em}"
              "table{border-collapse:collapse}th,td{border:1px solid #bbb;padding:.3em .6em;text-align:right}"
              "td.name,th.name{text-align:left}td{white-space:nowrap}code{font-size:90%;word-break:break-all}\n</style>\n</head>\n<body>\n")
    out.write(f"<h1>{esc(config.title)}</h1>\n")
    for paragraph in _header_lines(config, rows):
        out.write(f"<p>{_md_to_html(paragraph)}</p>\n")
    if rows:
        out.write("<table>\n<thead><tr><th>#</th><th class=\"name\">Model</th><th>Verified</th>")
        out.write("".join(f"<th>{esc(c.title)}</th>" for c in COLUMNS))
        out.write("<th class=\"name\">Links</th><th>Submitted</th></tr></thead>\n<tbody>\n")
        for i, row in enumerate(rows, 1):
            links = " ".join(f"<a href=\"{esc(u)}\">{k}</a>" for k, u in (("paper", row.paper), ("code", row.code)) if u)
            out.write(f"<tr id=\"{esc(row.slug)}\"><td>{i}</td><td class=\"name\">{esc(row.name)}</td>")
            out.write(f"<td>{VERIFIED_MARK if row.verified else UNVERIFIED_MARK}</td>")
            cells = (_fmt(row, c.key, c.digits, ci_sep="<br>", ci_wrap=("<small>", "</small>")) for c in COLUMNS)
            out.write("".join(f"<td>{cell}</td>" for cell in cells))
            out.write(f"<td class=\"name\">{links}</td><td>{esc(row.submitted[:10])}</td></tr>\n")
        out.write("</tbody>\n</table>\n")
        methods = method_columns(rows)
        if methods:
            out.write("<h2>Classification accuracy per protocol method</h2>\n<p>For a negative method: the "
                      "fraction of its pairs rejected; for <code>positive</code>: the fraction accepted.</p>\n")
            out.write("<table>\n<thead><tr><th class=\"name\">Model</th>")
            out.write("".join(f"<th>{esc(m)}</th>" for m in methods) + "</tr></thead>\n<tbody>\n")
            for row in rows:
                cells = (_fmt(row, m, METHOD_DIGITS, ci_sep="<br>", ci_wrap=("<small>", "</small>"),
                              per_method=True) for m in methods)
                out.write(f"<tr><td class=\"name\">{esc(row.name)}</td>" + "".join(f"<td>{c}</td>" for c in cells))
                out.write("</tr>\n")
            out.write("</tbody>\n</table>\n")
        out.write("<h2>Ranking vs classification</h2>\n")
        out.write(scatter_svg(rows))
        out.write("\n")
    else:
        out.write("<p>No entries yet.</p>\n")
    out.write("</body>\n</html>\n")
    return out.getvalue()


def render_board(board: str | os.PathLike[str]) -> None:
    """Write ``BOARD/README.md`` and ``BOARD/index.html`` from the board's config and entries.

    Holds the board's lock throughout, so the files show one state of the board and a
    render started before a submission cannot overwrite the one made after it.
    """
    board = Path(board)
    load_board(board)  # a missing or malformed board is reported as such, before locking
    with board_lock(board):
        config = load_board(board)
        rows = sorted_rows(board)
        for name, text in (("README.md", render_markdown(config, rows)), ("index.html", render_html(config, rows))):
            write_text(board / name, text)
