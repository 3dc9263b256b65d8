"""What a run shows in the Prefect UI: the report, its figures, the inbox and the checks.

The payloads are built by pure functions from what the run already wrote or computed
(report text, metrics, one line per file, check counts) and never from row values, and
every payload passes the mask (``transforms/masking.py``), so no ID number, name or phone
reaches an artifact, not even in a file's name. Keys are stable per township
(``report-<code>`` …), so the UI keeps each township's history under one key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

import polars as pl
from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from epireport.fileserver import FILES_VARIABLE, folder_url
from flows.stage import stage
from transforms.ingest import IngestLedger
from transforms.listings import office_listing
from transforms.masking import Lexicon, mask_listing, mask_text
from transforms.quality import QualityVerdict
from transforms.unknown_values import unknown_values_listing
from transforms.vocabulary import (
    ENUMERATIONS,
    FILES_TEXTS,
    INGEST_HEADINGS,
    OUTPUT_FILE_LABELS,
    OUTPUT_FOLDER_LABELS,
    OUTPUT_FOLDER_TITLES,
    RESERVE_ITEM_LABELS,
    enumeration_labels,
)

ARTIFACT_KINDS: tuple[str, ...] = (
    "report", "metrics", "ingest", "unknown-values", "quality", "files",
)  # fmt: skip
# How a check's outcome and severity read in the quality artifact (no symbols: plain words).
CHECK_MARKS: dict[bool, str] = {True: "通过", False: "未通过"}
SEVERITY_LABELS: dict[str, str] = {"critical": "严重", "warning": "警告"}


def artifact_key(kind: str, township_code: str) -> str:
    """``report-baisha``: township codes are already lowercase slugs, as Prefect keys must be."""
    return f"{kind}-{township_code}"


@dataclass(frozen=True)
class OutputLink:
    """One file of a run: its path in the run's folder, what the office calls it, and its
    URL through the file server (None when the folder is not served)."""

    name: str
    label: str
    url: str | None


def _in_labelled_folder(name: str) -> tuple[str, str] | None:
    """``feedback/石门村.xlsx`` -> (feedback, 石门村): a file of a folder of like files."""
    path = PurePosixPath(name)
    if len(path.parts) == 2 and path.parts[0] in OUTPUT_FOLDER_LABELS:
        return path.parts[0], path.stem
    return None


def file_label(name: str) -> str:
    """``report.docx`` -> 报告（Word 文档）; a feedback sheet by its sender; else the name."""
    if name in OUTPUT_FILE_LABELS:
        return OUTPUT_FILE_LABELS[name]
    if placed := _in_labelled_folder(name):
        return OUTPUT_FOLDER_LABELS[placed[0]].format(name=placed[1])
    return name


def output_links(run_url: str | None, names: Iterable[str]) -> list[OutputLink]:
    """The run's files (paths relative to its folder), the labelled ones first in the order of
    their labels, then the others by name; each linked below ``run_url``, the folder's URL."""
    order = {name: i for i, name in enumerate(OUTPUT_FILE_LABELS)}
    ranked = sorted(names, key=lambda n: (order.get(n, len(order)), n))
    return [OutputLink(n, file_label(n), run_url and run_url + quote(n)) for n in ranked]


def _linked(link: OutputLink, text: str) -> str:
    return f"[{text}]({link.url})" if link.url else text


def report_markdown(
    report_text: str, township_name: str, cutoff: str, links: Sequence[OutputLink] = ()
) -> str:
    """The report as markdown: a heading, the links to the run's files (those of a folder such
    as the feedback sheets in a paragraph of their own, each by its stem), then each line of
    the text as its own paragraph."""
    own: list[str] = []
    grouped: dict[str, list[str]] = {}
    for link in links:
        placed = _in_labelled_folder(link.name)
        if placed:
            grouped.setdefault(placed[0], []).append(_linked(link, placed[1]))
        else:
            own.append(_linked(link, link.label))
    heading = f"# {township_name}疫情防控专项工作报告（截至{cutoff}）"
    top = [FILES_TEXTS["links"].format(links="、".join(own))] if own else []
    top += [f"{OUTPUT_FOLDER_TITLES[f]}：{'、'.join(items)}" for f, items in grouped.items()]
    paragraphs = [line.strip() for line in report_text.splitlines() if line.strip()]
    return mask_text(heading + "\n\n" + "\n\n".join(top + paragraphs))


def _flatten(value: Any, prefix: str) -> Iterable[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _flatten(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _flatten(item, f"{prefix}[{i}]")
    else:
        yield prefix, value


def element_labels(names: Mapping[str, str]) -> dict[str, str]:
    """What the office calls each code a figure's key may carry: villages and clinics by
    name (``names``), reserve items and enumerated codes by their labels."""
    labels = {
        str(code): label
        for enumeration in ENUMERATIONS
        for code, label in enumeration_labels(enumeration).items()
    }
    labels |= {item: label for item, (label, _) in RESERVE_ITEM_LABELS.items()}
    return labels | dict(names)


def _figure_name(figure: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    """``各类会议次数（党委会）``: a breakdown's element named, the parts of a compound one
    (clinic and item) joined."""
    elements = [
        "".join(labels.get(part, part) for part in element.split("."))
        for element in re.findall(r"\[([^\]]*)\]", figure["key"])
    ]
    return figure["name"] + "".join(f"（{e}）" for e in elements)


def figure_rows(
    figures: Sequence[Mapping[str, Any]], labels: Mapping[str, str]
) -> list[dict[str, Any]]:
    """One row per figure of metrics.json, as the report states it, with its definition and
    where it was counted from."""
    return [
        {
            "指标": _figure_name(f, labels),
            "数值": mask_text(f["text"]),
            "口径": f["definition"],
            "来源文件": f["source_files"],
            "来源行数": f["source_rows"],
        }
        for f in figures
    ]


def ingest_rows(
    files: pl.DataFrame, lexicon: Lexicon, names_of: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """One row per inbox file under Chinese headings: what it was taken for (kind and village
    named, not coded) and where its rows went, masked."""
    columns = [c for c in INGEST_HEADINGS if c in files.columns]
    return office_listing(files.select(columns), lexicon, names_of or {}).to_dicts()


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


def files_markdown(run_dir: Path, links: Sequence[OutputLink]) -> str:
    """The run's folder, what its links open, and one row per file: name (linked through the
    file server, a browser refusing ``file://`` links from a web page) and what it holds."""
    served = any(link.url for link in links)
    note = (
        FILES_TEXTS["served"].format(cutoff=run_dir.name) if served else FILES_TEXTS["not_served"]
    )
    rows = [FILES_TEXTS["table"], "|---|---|"]
    rows += [f"| {_linked(link, link.name)} | {link.label} |" for link in links]
    folder = FILES_TEXTS["folder"].format(folder=f"`{run_dir}`")
    return mask_text(f"{folder}\n\n{note}\n\n" + "\n".join(rows))


def _served_url(run_dir: Path) -> str | None:
    """The run folder's URL through the file server ``epireport server`` recorded, if any."""
    from prefect.variables import Variable

    return folder_url(run_dir, Variable.get(FILES_VARIABLE, default=None))


@stage(name="publish-artifacts")
def publish_artifacts(
    township_code: str,
    township_name: str,
    report: Path,
    ingest: IngestLedger,
    verdict: QualityVerdict,
    lexicon: Lexicon,
    names_of: Mapping[str, str],
) -> list[str]:
    """Publish the six artifacts of a run; returns their keys. ``names_of``: village and
    clinic codes -> names."""
    run_dir = report.parent
    cutoff = run_dir.name
    keys = {kind: artifact_key(kind, township_code) for kind in ARTIFACT_KINDS}
    names = [
        p.relative_to(run_dir).as_posix()
        for p in run_dir.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    ]
    links = output_links(_served_url(run_dir), names)
    create_markdown_artifact(
        report_markdown(report.read_text(encoding="utf-8"), township_name, cutoff, links),
        key=keys["report"],
        description=f"{township_name}疫情防控专项工作报告，截至{cutoff}",
    )
    figures = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))["figures"]
    create_table_artifact(
        figure_rows(figures, element_labels(names_of)),
        key=keys["metrics"],
        description="报告中的全部数据及其口径",
    )
    create_table_artifact(
        ingest_rows(ingest.files, lexicon, names_of),
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
        files_markdown(run_dir, links),
        key=keys["files"],
        description="本次运行的输出文件",
    )
    get_run_logger().info("artifacts: %s", ", ".join(keys.values()))
    return list(keys.values())
