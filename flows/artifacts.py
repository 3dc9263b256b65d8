"""What a run shows in the Prefect UI: the report, its figures, the inbox and the checks.

The payloads are built by pure functions from what the run already wrote or computed
(report text, metrics, one line per file, check counts) and never from row values, and
every payload passes the mask (``transforms/masking.py``), so no ID number, name or phone
reaches an artifact, not even in a file's name. Keys are stable per township
(``report-<code>`` …), so the UI keeps each township's history under one key.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import polars as pl
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from transforms.ingest import IngestLedger
from transforms.masking import Lexicon, mask_listing, mask_text
from transforms.metrics import ComputedMetrics
from transforms.quality import QualityVerdict
from transforms.unknown_values import unknown_values_listing
from transforms.vocabulary import FILE_STATUS_LABELS, INGEST_HEADINGS, KIND_LABELS, REASON_TEXTS

ARTIFACT_KINDS: tuple[str, ...] = (
    "report", "metrics", "ingest", "unknown-values", "quality", "files",
)  # fmt: skip
# How a check's outcome and severity read in the quality artifact (no symbols: plain words).
CHECK_MARKS: dict[bool, str] = {True: "通过", False: "未通过"}
SEVERITY_LABELS: dict[str, str] = {"critical": "严重", "warning": "警告"}


def artifact_key(kind: str, township_code: str) -> str:
    """``report-baisha``: township codes are already lowercase slugs, as Prefect keys must be."""
    return f"{kind}-{township_code}"


def report_markdown(report_text: str, township_name: str, cutoff: str) -> str:
    """The report as markdown: a heading, then each line of the text as its own paragraph."""
    paragraphs = [line.strip() for line in report_text.splitlines() if line.strip()]
    heading = f"# {township_name}疫情防控专项工作报告（截至{cutoff}）"
    return mask_text(heading + "\n\n" + "\n\n".join(paragraphs))


def _flatten(value: Any, prefix: str) -> Iterable[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _flatten(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _flatten(item, f"{prefix}[{i}]")
    else:
        yield prefix, value


def metrics_rows(sections: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per figure: section, dotted name, value; sections not computed are skipped."""
    rows = []
    for section, fields in sections.items():
        if fields is None:
            continue
        for name, value in _flatten(fields, ""):
            shown = mask_text(value) if isinstance(value, str) else value
            rows.append({"section": section, "metric": name, "value": shown})
    return rows


def _reasons(counts: str | None) -> str | None:
    """``id_bad_check_digit 2; date_in_future 1`` as the office reads it."""
    if not counts:
        return counts
    parts = (item.rsplit(" ", 1) for item in counts.split("; "))
    return "；".join(f"{REASON_TEXTS.get(code, code)} {n} 行" for code, n in parts)


def ingest_rows(
    files: pl.DataFrame, lexicon: Lexicon, villages: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """One row per inbox file under Chinese headings: what it was taken for (kind and village
    named, not coded) and where its rows went, masked."""
    names = dict(villages or {})
    shown = mask_listing(files.select([c for c in INGEST_HEADINGS if c in files.columns]), lexicon)
    labels = {
        "kind": lambda v: KIND_LABELS.get(v, v),
        "village_code": lambda v: names.get(v, v),
        "status": lambda v: FILE_STATUS_LABELS.get(v, v),
        "refused_by_reason": _reasons,
    }
    return [
        {
            INGEST_HEADINGS[column]: labels[column](value)
            if column in labels and value is not None
            else value
            for column, value in row.items()
        }
        for row in shown.iter_rows(named=True)
    ]


def quality_markdown(verdict: QualityVerdict) -> str:
    """The verdict line, the failed checks' sentences, then one table row per check with the
    failed ones first (counts only, never row values)."""
    lines = [f"**{verdict.verdict_line()}**", ""]
    failed = (*verdict.critical_failures, *verdict.warnings)
    for r in failed:
        lines.append(f"- {SEVERITY_LABELS[r.severity]}：{r.statement}")
    if failed:
        lines.append("")
    lines += ["| 结果 | 级别 | 表 | 列 | 检查 | 不符合行数 |", "|---|---|---|---|---|---|"]
    passed = tuple(r for r in verdict.results if r.success)
    for r in (*failed, *passed):
        failing = r.error or (
            f"{r.unexpected_count} / {r.element_count}" if r.unexpected_count is not None else ""
        )
        mark = CHECK_MARKS[r.success]
        severity = SEVERITY_LABELS[r.severity]
        lines.append(
            f"| {mark} | {severity} | {r.table} | {r.column} | {r.expectation} | {failing} |"
        )
    return mask_text("\n".join(lines))


def unknown_values_markdown(unknown_values: pl.DataFrame, lexicon: Lexicon) -> str:
    """unknown_values.csv as a table; a sentence when every value was read."""
    if unknown_values.is_empty():
        return "本次报送的台账中没有未能识别的填写值。"
    listing = mask_listing(unknown_values_listing(unknown_values), lexicon)
    lines = [
        "| " + " | ".join(listing.columns) + " |",
        "|" + "---|" * listing.width,
        *("| " + " | ".join(str(v) for v in row) + " |" for row in listing.iter_rows()),
    ]
    return mask_text("\n".join(lines))


def files_markdown(run_dir: Path, names: Iterable[str]) -> str:
    """Links to the run's files; ``file://`` because they stay on the machine that ran it."""
    links = [f"- [{name}]({(run_dir / name).resolve().as_uri()})" for name in names]
    return mask_text(f"输出文件夹：`{run_dir.name}`\n\n" + "\n".join(links))


@task(name="publish-artifacts")
def publish_artifacts(
    township_code: str,
    township_name: str,
    report: Path,
    computed: ComputedMetrics,
    ingest: IngestLedger,
    verdict: QualityVerdict,
    lexicon: Lexicon,
    villages: Mapping[str, str],
) -> list[str]:
    """Publish the six artifacts of a run; returns their keys."""
    run_dir = report.parent
    cutoff = run_dir.name
    keys = {kind: artifact_key(kind, township_code) for kind in ARTIFACT_KINDS}
    create_markdown_artifact(
        report_markdown(report.read_text(encoding="utf-8"), township_name, cutoff),
        key=keys["report"],
        description=f"{township_name}疫情防控专项工作报告，截至{cutoff}",
    )
    sections = json.loads(computed.metrics.model_dump_json())
    create_table_artifact(
        metrics_rows(sections), key=keys["metrics"], description="报告中的全部数据"
    )
    create_table_artifact(
        ingest_rows(ingest.files, lexicon, villages),
        key=keys["ingest"],
        description="收件箱文件逐一情况",
    )
    create_markdown_artifact(
        unknown_values_markdown(ingest.unknown_values, lexicon),
        key=keys["unknown-values"],
        description="未能识别的填写值及其影响的数字",
    )
    create_markdown_artifact(
        quality_markdown(verdict), key=keys["quality"], description="数据质量检查"
    )
    create_markdown_artifact(
        files_markdown(run_dir, sorted(p.name for p in run_dir.iterdir())),
        key=keys["files"],
        description="本次运行的输出文件",
    )
    get_run_logger().info("artifacts: %s", ", ".join(keys.values()))
    return list(keys.values())
