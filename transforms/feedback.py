"""Stage 6b: one feedback workbook per village (and per clinic that sent files), so the office
can send each sender its own list of corrections after a run.

Built from the frames the run's listings are built from (the ingest ledger behind
ingest_summary.csv, refused_rows.csv and unknown_values.csv, and the ``submissions`` table),
through the same mask with the same lexicon: a workbook holds no full ID number, name or
phone, only masked values and the sheet and row to find them by. A file line belongs to the
village it was read for; else to the clinic or village its file or folder name names; else
to ``FEEDBACK_UNATTRIBUTED``. Every refused row is in exactly one workbook.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl
import xlsxwriter

from epireport.config import TownshipConfig
from transforms.ingest import IngestLedger
from transforms.listings import field_names, named
from transforms.masking import Lexicon, mask_listing, mask_text
from transforms.unknown_values import VOCABULARY_REASONS
from transforms.villages import VillageIndex
from transforms.vocabulary import (
    FEEDBACK_HEADINGS,
    FEEDBACK_SHEETS,
    FEEDBACK_TEXTS,
    FEEDBACK_UNATTRIBUTED,
    FILE_STATUS_LABELS,
    KIND_LABELS,
    REASON_FIX_DEFAULT,
    REASON_FIXES,
    SUBMISSION_STATES,
    fold,
)

FEEDBACK_DIR = "feedback"
# File statuses whose file the sender has to send again.
REDO_STATUSES: frozenset[str] = frozenset({"refused", "held"})
# Characters no file name on Windows or Linux may hold: replaced in a sender's name.
_NOT_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


@dataclass(frozen=True)
class Recipients:
    """Who gets a workbook: the township's villages (every one, also one that sent nothing)
    and its clinics (those that sent a file); the deadline their lateness is measured by."""

    villages: VillageIndex
    clinics: dict[str, str]  # folded name or alias -> clinic name, longest label first
    clinic_order: tuple[str, ...]
    deadline: dt.date

    @classmethod
    def of(cls, config: TownshipConfig, villages: VillageIndex, deadline: dt.date) -> Recipients:
        """The run's own village index and deadline, as the other stages use them."""
        clinics = {fold(label): c.name for c in config.clinics for label in (c.name, *c.aliases)}
        return cls(
            villages=villages,
            clinics={
                label: clinics[label]
                for label in sorted(clinics, key=len, reverse=True)
                if len(label) >= 2
            },
            clinic_order=tuple(c.name for c in config.clinics),
            deadline=deadline,
        )

    def sender(self, path: str, village_code: str | None) -> str:
        """Whose file a line is: the village it was read for, else the clinic or village the
        file name (then the folders, innermost first) names, else ``FEEDBACK_UNATTRIBUTED``.
        A clinic is looked for first: 石门村卫生室 names the clinic, not 石门村."""
        if village_code in self.villages.names:
            return self.villages.names[village_code]
        parts = path.split("/")
        for text in (parts[-1], *reversed(parts[:-1])):
            folded = fold(text)
            clinic = next((label for label in self.clinics if label in folded), None)
            if clinic is not None:
                return self.clinics[clinic]
            village = self.villages.find_in([text])
            if village is not None:
                return self.villages.names[village]
        return FEEDBACK_UNATTRIBUTED


@dataclass(frozen=True)
class Feedback:
    """One sender's sheets, masked, under the column names of ``FEEDBACK_HEADINGS``."""

    sender: str
    files: pl.DataFrame
    refused: pl.DataFrame
    submissions: pl.DataFrame
    unknown: pl.DataFrame

    @property
    def has_content(self) -> bool:
        return any(not f.is_empty() for f in (self.files, self.refused, self.submissions))


def _fix(code: str) -> pl.Expr:
    """How to correct a refusal, by its reason code (nulls stay null)."""
    return pl.col(code).replace_strict(
        REASON_FIXES, default=pl.lit(REASON_FIX_DEFAULT), return_dtype=pl.String
    )


def _with_senders(files: pl.DataFrame, recipients: Recipients) -> pl.DataFrame:
    senders = [
        recipients.sender(path, village)
        for path, village in files.select("path", "village_code").iter_rows()
    ]
    return files.with_columns(pl.Series("sender", senders, dtype=pl.String))


def _files_sheet(files: pl.DataFrame) -> pl.DataFrame:
    """Each file line as received: kind and status as the office says them, its rows, and
    for a file to send again the reason and how to correct it."""
    redo = pl.col("status").is_in(list(REDO_STATUSES))
    return files.sort("path", "kind", nulls_last=True).select(
        "sender",
        "path",
        named("kind", KIND_LABELS),
        named("status", FILE_STATUS_LABELS),
        pl.when(redo).then(pl.col("refusal")).alias("refusal"),
        "rows_read",
        "rows_loaded",
        "rows_refused",
        "rows_retired",
        pl.when(redo).then(_fix("refusal_code")).alias("fix"),
    )


def _refused_sheet(refused: pl.DataFrame) -> pl.DataFrame:
    """Every refused row where the sender finds it (file, sheet, row, the column's template
    header), its masked value, the reason and how to correct it."""
    return refused.sort("path", "sheet", "row_number", nulls_last=True).select(
        "sender",
        "path",
        "sheet",
        "row_number",
        field_names().alias("field"),
        "value_masked",
        "reason",
        _fix("reason_code").alias("fix"),
    )


def _unknown_sheet(refused: pl.DataFrame, unknown_values: pl.DataFrame) -> pl.DataFrame:
    """The sender's values no spelling reads, counted, with the suggestion the run's
    unknown_values listing gives for the same kind, field and value."""
    suggestions = unknown_values.select(
        "kind", "field", "value_masked", "reason_code", "suggestion"
    ).unique(subset=["kind", "field", "value_masked", "reason_code"], keep="first")
    return (
        refused.filter(pl.col("reason_code").is_in(list(VOCABULARY_REASONS)))
        .group_by("sender", "kind", "field", "value_masked", "reason_code")
        .agg(pl.len().cast(pl.Int64).alias("rows"))
        .join(suggestions, on=["kind", "field", "value_masked", "reason_code"], how="left")
        .sort("kind", "field", "rows", "value_masked", descending=[False, False, True, False])
        .select(
            "sender",
            named("kind", KIND_LABELS),
            field_names().alias("field"),
            "value_masked",
            "rows",
            "suggestion",
        )
    )


def _submissions_sheet(submissions: pl.DataFrame) -> pl.DataFrame:
    """Each required file a village did not send, or sent after the deadline."""
    state = (
        pl.when(~pl.col("received"))
        .then(pl.lit(SUBMISSION_STATES["missing"]))
        .when(~pl.col("on_time"))
        .then(pl.lit(SUBMISSION_STATES["late"]))
    )
    return (
        submissions.with_columns(state.alias("state"))
        .filter(pl.col("state").is_not_null())
        .select(
            pl.col("village_name").alias("sender"),
            "kind_label",
            "state",
            pl.col("submitted_on").cast(pl.String),
        )
    )


def _masked(frame: pl.DataFrame, lexicon: Lexicon) -> pl.DataFrame:
    """Every column through the listings' mask but the sender's name (master data)."""
    return mask_listing(frame.drop("sender"), lexicon).with_columns(frame["sender"])


def feedback_frames(
    ledger: IngestLedger,
    submissions: pl.DataFrame,
    recipients: Recipients,
    lexicon: Lexicon,
) -> dict[str, Feedback]:
    """Sender name -> its sheets: every village in master-data order, then each clinic and
    the unattributed files when they sent anything; every sheet through the mask and the
    lexicon of the run's listings."""
    files = _with_senders(ledger.files, recipients)
    refused = ledger.refused_rows.join(
        files.select("file_id", "path", "kind", "sender"), on="file_id", how="left"
    ).with_columns(pl.col("sender").fill_null(FEEDBACK_UNATTRIBUTED))
    unknown = _unknown_sheet(refused, ledger.unknown_values)
    sheets = {
        "files": _masked(_files_sheet(files), lexicon),
        "refused": _masked(_refused_sheet(refused), lexicon),
        "submissions": _submissions_sheet(submissions),
        "unknown": _masked(unknown, lexicon),
    }
    order = [
        *recipients.villages.names.values(),
        *recipients.clinic_order,
        FEEDBACK_UNATTRIBUTED,
    ]
    result: dict[str, Feedback] = {}
    for sender in dict.fromkeys(order):
        parts = {
            name: frame.filter(pl.col("sender") == sender).drop("sender")
            for name, frame in sheets.items()
        }
        feedback = Feedback(sender=sender, **parts)
        if sender in recipients.villages.names.values() or feedback.has_content:
            result[sender] = feedback
    return result


def _kinds(frame: pl.DataFrame, state: str) -> str:
    return "、".join(frame.filter(pl.col("state") == SUBMISSION_STATES[state])["kind_label"])


def cover_lines(
    feedback: Feedback, township_name: str, cutoff: dt.date, deadline: dt.date
) -> list[str]:
    """The cover sheet, a few sentences the office can send as they are."""
    t, f = FEEDBACK_TEXTS, feedback
    lines = [
        t["title"].format(sender=f.sender),
        t["run"].format(township=township_name, cutoff=cutoff.isoformat()),
    ]
    received = "unattributed" if f.sender == FEEDBACK_UNATTRIBUTED else "received"
    if f.files.is_empty():
        lines.append(t["no_files"].format(sender=f.sender))
    else:
        loaded = int(f.files["rows_loaded"].sum())
        lines.append(
            t[received].format(
                sender=f.sender, files=f.files.height, loaded=loaded, refused=f.refused.height
            )
        )
    redo = f.files.filter(pl.col("fix").is_not_null()).height
    problems = {
        "files_refused": {"count": redo},
        "rows_refused": {"count": f.refused.height},
        "unknown": {"count": f.unknown.height},
        "missing": {"kinds": _kinds(f.submissions, "missing")},
        "late": {"kinds": _kinds(f.submissions, "late")},
    }
    said = [
        t[key].format(deadline=deadline.isoformat(), **values)
        for key, values in problems.items()
        if all(values.values())
    ]
    if redo or f.refused.height:
        said.append(t["resend"])
    lines += said or [t["all_good"]]
    return [mask_text(line) for line in lines]


def _write_table(
    book: xlsxwriter.Workbook, name: str, frame: pl.DataFrame, headings: dict[str, str]
) -> None:
    """One sheet: bold headings, text as text (never a formula), numbers as numbers."""
    sheet = book.add_worksheet(FEEDBACK_SHEETS[name])
    bold = book.add_format({"bold": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    for col, heading in enumerate(headings.values()):
        sheet.write_string(0, col, heading, bold)
        sheet.set_column(col, col, 10 if frame.schema[list(headings)[col]].is_numeric() else 28)
    sheet.freeze_panes(1, 0)
    if frame.is_empty():
        sheet.write_string(1, 0, FEEDBACK_TEXTS["none"])
        return
    for row, values in enumerate(frame.select(list(headings)).iter_rows(), start=1):
        for col, value in enumerate(values):
            if value is None:
                continue
            if isinstance(value, int | float):
                sheet.write_number(row, col, value)
            else:
                sheet.write_string(row, col, mask_text(str(value)), wrap)


def write_workbook(feedback: Feedback, cover: Iterable[str], cutoff: dt.date) -> bytes:
    """The workbook of one sender: the cover, then its files, refused rows, missing or late
    files and unknown values, each under its Chinese headings."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.set_properties({"created": dt.datetime.combine(cutoff, dt.time())})
    sheet = book.add_worksheet(FEEDBACK_SHEETS["cover"])
    sheet.set_column(0, 0, 100, book.add_format({"text_wrap": True, "valign": "top"}))
    title = book.add_format({"bold": True, "font_size": 14})
    for row, line in enumerate(cover):
        sheet.write_string(row, 0, line, title if row == 0 else None)
    for name in ("files", "refused", "submissions", "unknown"):
        _write_table(book, name, getattr(feedback, name), FEEDBACK_HEADINGS[name])
    book.close()
    return buffer.getvalue()


def file_name(sender: str) -> str:
    """``feedback/石门村.xlsx``: the sender's name, with what no file name may hold replaced."""
    return f"{FEEDBACK_DIR}/{_NOT_IN_FILE_NAMES.sub('_', sender).strip(' .') or '_'}.xlsx"


def feedback_workbooks(
    ledger: IngestLedger,
    submissions: pl.DataFrame,
    recipients: Recipients,
    lexicon: Lexicon,
    township_name: str,
    cutoff: dt.date,
) -> dict[str, bytes]:
    """Output name -> workbook of every sender ``feedback_frames`` lists."""
    return {
        file_name(sender): write_workbook(
            feedback, cover_lines(feedback, township_name, cutoff, recipients.deadline), cutoff
        )
        for sender, feedback in feedback_frames(ledger, submissions, recipients, lexicon).items()
    }
