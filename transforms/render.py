"""Render the report text from a ReportContext, and write it so a crash never leaves half a file."""

from __future__ import annotations

import functools
import os
import secrets
from pathlib import Path

import jinja2

from transforms.indicators import Registry, figure_text, method_notes
from transforms.numbers import (
    activity_count,
    chinese_date,
    chinese_numeral,
    exact_count,
    percentage_points,
    rate_pct,
)
from transforms.report_model import ReportContext

REPORT_TEMPLATE = "report.txt.j2"


def build_environment(template_dir: Path, html: bool = False) -> jinja2.Environment:
    """The Jinja2 environment of every template: plain-text reports (figures written by
    ``fig``, see ``render_report``; dates and numerals by our filters) or, with ``html``,
    the escaped quality page.

    StrictUndefined turns a misspelt field into an error instead of an empty gap in
    a document read out to the congress.
    """
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_dir),
        undefined=jinja2.StrictUndefined,
        autoescape=html,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        percentage_points=percentage_points,
        chinese_numeral=chinese_numeral,
        chinese_date=chinese_date,
        exact_count=exact_count,
        activity_count=activity_count,
        rate_pct=rate_pct,
    )
    return env


def render_report(context: ReportContext, template_dir: Path, registry: Registry) -> str:
    """The complete report text for one township and period, one paragraph per line."""
    template = build_environment(template_dir).get_template(REPORT_TEMPLATE)
    return template.render(
        ctx=context,
        fig=functools.partial(figure_text, context, registry),
        notes=method_notes(context, registry),
    )


def write_text_atomically(text: str, path: Path) -> None:
    """Write UTF-8 text to path via a synced temp file in the same folder and os.replace.

    Readers see the old file or the new one, never a partial write; a failed write
    removes its temp file.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    # Sync the folder too, so the rename itself survives a power cut.
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
