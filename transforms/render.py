"""Render the report text, and the office's note beside it, from a ReportContext."""

from __future__ import annotations

import functools
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
OFFICE_NOTE_TEMPLATE = "office_note.txt.j2"
OFFICE_NOTE_FILE = "office_note.txt"


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


def render_office_note(context: ReportContext, template_dir: Path) -> str:
    """The data caveats (数据说明) for the office, beside the report: the congress hears the
    report, the office checks these before it goes out."""
    template = build_environment(template_dir).get_template(OFFICE_NOTE_TEMPLATE)
    return template.render(ctx=context)
