"""Stage 6: every file a run publishes, built in memory from the report context.

report.txt is rendered once from the template; report.md and report.docx are built
from its lines plus the per-village appendix and the coverage chart; office_note.txt holds
the data caveats for the office; metrics.json lists every figure with its definition, SQL
file and sources. Nothing here writes a file:
``publish.publish_run`` puts the result in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from epireport.settings import Resources
from transforms.indicators import Registry, figure_record, load_registry, report_figures
from transforms.ingest import IngestLedger
from transforms.listings import ledger_listings
from transforms.masking import Lexicon, mask_listing
from transforms.publish import frame_to_csv, metrics_json
from transforms.render import OFFICE_NOTE_FILE, render_office_note, render_report
from transforms.report_model import PreviousReport, ReportContext
from transforms.unknown_values import unknown_values_listing

SQL_PREFIX = "sql/metrics/"


def previous_report(document: dict[str, Any] | None, township_name: str) -> PreviousReport | None:
    """The vaccination figures of an earlier metrics.json of this township; None otherwise."""
    if not document:
        return None
    try:
        run, vaccination = document["run"], document["sections"]["vaccination"]
        if run["township"] != township_name:
            return None
        fields = {k: vaccination[k] for k in PreviousReport.model_fields if k != "cutoff_date"}
        return PreviousReport(cutoff_date=run["cutoff_date"], **fields)
    except (KeyError, TypeError, ValidationError):
        return None


def metrics_document(context: ReportContext, registry: Registry) -> dict[str, Any]:
    """metrics.json: the run, every figure of the report, and the typed sections behind them."""
    return {
        "run": {
            "township": context.township_name,
            "cutoff_date": context.cutoff_date.isoformat(),
            "period_start": context.period_start.isoformat(),
            "period_end": context.period_end.isoformat(),
            "coverage_target_pct": float(context.coverage_target_pct),
            "previous_cutoff_date": (
                context.previous.cutoff_date.isoformat() if context.previous else None
            ),
        },
        "figures": [
            figure_record(f, context, SQL_PREFIX) for f in report_figures(context, registry)
        ],
        "sections": context.metrics.model_dump(mode="json"),
    }


def build_outputs(
    context: ReportContext,
    ingest: IngestLedger,
    resources: Resources,
    previous_metrics: dict[str, Any] | None,
    lexicon: Lexicon,
    names_of: Mapping[str, str],
) -> dict[str, str | bytes]:
    """File name -> content of every output of one run; the listings through the mask
    (``transforms/masking.py``) with the township's ``lexicon``, whatever the ledger holds.

    matplotlib and python-docx (half a second to import) load here, when a run renders,
    not in every process that imports the flow (``serve``, a run that stops early)."""
    from transforms.chart import render_coverage_chart
    from transforms.documents import (
        CHART_FILE,
        appendix_rows,
        render_docx,
        render_markdown,
        report_blocks,
    )

    registry = load_registry(resources.indicators_path, resources.metrics_dir)
    context = context.model_copy(
        update={"previous": previous_report(previous_metrics, context.township_name)}
    )
    text = render_report(context, resources.templates_dir, registry)
    blocks = report_blocks(text)
    appendix = appendix_rows(context)
    chart = render_coverage_chart(
        context.metrics.vaccination.village_coverage,
        context.coverage_target_pct,
        context.township_name,
        context.cutoff_date,
    )
    return {
        "report.txt": text,
        "report.md": render_markdown(blocks, appendix, CHART_FILE),
        "report.docx": render_docx(
            blocks, appendix, chart, context.government_name, context.generated_at
        ),
        OFFICE_NOTE_FILE: render_office_note(context, resources.templates_dir),
        CHART_FILE: chart,
        "metrics.json": metrics_json(metrics_document(context, registry)),
        "unknown_values.csv": frame_to_csv(
            mask_listing(unknown_values_listing(ingest.unknown_values), lexicon)
        ),
    } | {
        name: frame_to_csv(listing)
        for name, listing in ledger_listings(ingest, lexicon, names_of).items()
    }
