"""``epireport check``: the files a clerk just received, read exactly as a run reads them,
with nothing stored, and what would happen to each row said in Chinese.

The same stages as a run (discover, read, settle versions, normalize) with the township's
villages and vocabulary; the person key is a random one, since nothing leaves memory.
Every line passes the personal-data mask, so a refused ID or name shows masked.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

from epireport.config import TownshipConfig
from transforms.discover import InboxFile, discover_files, file_entry, readable_name
from transforms.ingest import IngestResult, Limits, normalize_reads, read_file, settle_versions
from transforms.masking import mask_listing, mask_text, township_lexicon
from transforms.normalize import NormalizeContext
from transforms.township_vocabulary import township_vocabulary
from transforms.villages import VillageIndex
from transforms.vocabulary import CHECK_TEXTS, KIND_LABELS, field_label


def given_files(paths: list[Path]) -> list[InboxFile]:
    """The files named on the command line; a folder stands for every file under it."""
    files: list[InboxFile] = []
    for path in paths:
        if path.is_dir():
            for f in discover_files(path):
                name = f"{readable_name(os.fsencode(path.name))}/{f.relative_path}"
                files.append(replace(f, relative_path=name))
        else:
            entry = file_entry(path, readable_name(os.fsencode(path.name)))
            if entry is not None:
                files.append(entry)
    return files


def check_files(files: list[InboxFile], config: TownshipConfig, run_date: dt.date) -> IngestResult:
    """Read and normalize ``files`` as a run would, in memory."""
    ctx = NormalizeContext(
        run_date=run_date,
        villages=VillageIndex.from_config(config),
        person_key=secrets.token_bytes(32),
        vocabulary=township_vocabulary(config),
    )
    limits = Limits.of(config)
    reads = [
        read_file(f, ctx, limits.max_file_bytes, limits.max_expanded_bytes, limits.shape)
        for f in files
    ]
    return normalize_reads(settle_versions(reads), ctx)


@dataclass(frozen=True)
class CheckOutcome:
    """What ``check`` prints, and whether every row would load."""

    lines: tuple[str, ...]
    all_load: bool


def describe(result: IngestResult, config: TownshipConfig) -> CheckOutcome:
    """Per file line: kind and village, rows read / would load / would be refused, each refused
    row (sheet, row, column, reason, masked value); then the unknown values' suggestions and
    a one-line verdict."""
    index = VillageIndex.from_config(config)
    lexicon, villages = township_lexicon(index), index.names
    refused = mask_listing(result.refused_rows, lexicon)
    lines: list[str] = []
    for f in mask_listing(result.files, lexicon).iter_rows(named=True):
        lines.append(CHECK_TEXTS["file"].format(path=f["path"]))
        if f["status"] == "refused":
            lines.append(CHECK_TEXTS["file_refused"].format(reason=f["refusal"]))
            continue
        village = villages.get(f["village_code"] or "", CHECK_TEXTS["village_per_row"])
        lines.append(CHECK_TEXTS["kind"].format(kind=KIND_LABELS[f["kind"]], village=village))
        if f["status"] != "loaded":
            lines.append(CHECK_TEXTS[f["status"]].format(reason=f["refusal"] or ""))
            continue
        lines.append(
            CHECK_TEXTS["rows"].format(
                read=f["rows_read"], load=f["rows_loaded"], refuse=f["rows_refused"]
            )
        )
        for r in refused.filter(pl.col("file_id") == f["file_id"]).iter_rows(named=True):
            lines.append(
                CHECK_TEXTS["refused_row"].format(
                    sheet=r["sheet"], row=r["row_number"],
                    column=field_label(f["kind"], r["field"]), reason=r["reason"],
                    value=r["value_masked"] or "",
                )
            )  # fmt: skip
    for u in result.unknown_values.iter_rows(named=True):
        if u["suggestion"]:
            lines.append(
                CHECK_TEXTS["suggestion"].format(
                    column=field_label(u["kind"], u["field"]),
                    value=u["value_masked"],
                    suggestion=u["suggestion"],
                )
            )
    files = result.files
    bad_files = files.filter(pl.col("status") == "refused").height
    held = files.filter(pl.col("status") == "held").height
    bad_rows = int(files["rows_refused"].sum() or 0)
    all_load = bad_files == 0 and held == 0 and bad_rows == 0 and files.height > 0
    if files.height == 0:
        lines.append(CHECK_TEXTS["no_files"])
    elif all_load:
        lines.append(CHECK_TEXTS["verdict_ok"].format(files=files.height))
    else:
        lines.append(CHECK_TEXTS["verdict_bad"].format(rows=bad_rows, files=bad_files, held=held))
    return CheckOutcome(tuple(mask_text(line) for line in lines), all_load)
