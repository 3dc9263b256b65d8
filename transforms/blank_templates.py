"""Blank templates a township office hands out (``epireport templates``): one workbook per
file kind, built from the input contract, that keeps the common mistakes out of the inbox.

Each column is typed and validated the way the reader will judge it: enumerations offer
their spellings (the contract's and the township's own) in a dropdown, 所属村 the township's
villages, dates are date cells no later than today, ID numbers are text (so Excel never
turns one into 4.30102E+17), counts are whole numbers within the contract's bounds. The
lists live on a hidden sheet, since an inline Excel list stops at 255 characters. A
填表说明 sheet says, column by column, what the contract asks; the reader skips it as an
instruction page. Fields the reader never reads (``read: false``) are left out: nobody
should be asked for a phone number no figure uses.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from epireport.config import ConfigError, FileKind, TownshipConfig
from transforms.contract import CONTRACT, fold_value
from transforms.ingest import VILLAGE_FILE_KINDS
from transforms.normalize import AMBIGUOUS_TYPES, VACCINATION_START
from transforms.township_vocabulary import ENUMERATION_TABLES, Vocabulary, township_vocabulary
from transforms.vocabulary import (
    KIND_LABELS,
    QUANTITY_CEILING,
    TEMPLATE_ERRORS,
    TEMPLATE_GUIDE_HEADINGS,
    TEMPLATE_NOTES,
    TEMPLATE_RULES,
    TEMPLATE_TEXTS,
    TEMPLATE_UNIT_NOTE,
    field_label,
)

# Rows above the data (0-based): title, 填报单位, 填报日期, header; data from DATA_ROW on.
TITLE_ROW, UNIT_ROW, REPORTED_ROW, HEADER_ROW = 0, 1, 2, 3
DATA_ROW = HEADER_ROW + 1
# The last row a validation covers: the whole column, as far as Excel goes.
LAST_ROW = 1_048_575
DATE_FORMAT = "yyyy-mm-dd"
TEXT_FORMAT = "@"
COUNT_FORMAT = "0"
# Lengths of an ID number: 18 digits, or a legacy 15 (transforms/ids.py reads both).
ID_LENGTHS = (15, 18)
# Excel's limits on a validation's input note and its title.
NOTE_MAX, NOTE_TITLE_MAX = 255, 32
# Column widths in Excel's units (a Han character counts two), at least and at most.
WIDTH_MIN, WIDTH_MAX = 8, 40
TYPE_WIDTHS: dict[str, int] = {
    "id": 22,
    "date": 12,
    "vaccination_date": 12,
    "personal": 10,
    "text": 16,
    "quota_note": 36,
}

# Field type -> the enumeration it reads against (status, dose, enum:yes_no -> yes_no ...).
ENUMERATION_OF_TYPE: dict[str, str] = {t: name for name, (t, _) in ENUMERATION_TABLES.items()}


class TemplatesNotWritten(ValueError):
    """Templates that cannot be written where asked: one line saying why, nothing written."""


@dataclass(frozen=True)
class TemplateColumn:
    """One column of a template, as the contract and the township define it.

    ``choices`` is the dropdown (empty for a column without one); ``accepted`` the values
    the 填表说明 lists, each code's label with its other spellings."""

    field: str
    header: str
    field_type: str
    required: bool
    rule: str
    choices: tuple[str, ...] = ()
    accepted: tuple[str, ...] = ()
    upper_bound: int | None = None

    @property
    def refuses_unknown(self) -> bool:
        """Whether a value outside ``choices`` is refused (every enumeration but 接种方式)."""
        return self.field_type == "village" or self.field_type in AMBIGUOUS_TYPES


def spelling_groups(
    field_type: str, config: TownshipConfig, vocabulary: Vocabulary
) -> list[tuple[str, list[str]]]:
    """Per code of the field's enumeration, in the contract's order: its label and its other
    spellings, the township's own (config ``vocabulary.spellings``) after the shipped ones.
    A spelling that folds like an earlier one is left out."""
    name = ENUMERATION_OF_TYPE.get(field_type)
    if name is None:
        return []
    codes = {
        str(code): list(spec.spellings) for code, spec in CONTRACT.enumerations[name].codes.items()
    }
    index = vocabulary.index(field_type)
    for spelling in config.vocabulary.spellings.get(name, {}):
        codes[index.spellings[fold_value(spelling)]].append(spelling)
    seen: set[str] = set()
    groups = []
    for spellings in codes.values():
        kept = []
        for spelling in spellings:
            if fold_value(spelling) not in seen:
                seen.add(fold_value(spelling))
                kept.append(spelling)
        groups.append((kept[0], kept[1:]))
    return groups


def template_columns(kind: FileKind, config: TownshipConfig) -> tuple[TemplateColumn, ...]:
    """The columns of ``kind``'s template: every field the reader reads, in contract order."""
    villages = tuple(v.name for v in config.villages)
    vocabulary = township_vocabulary(config)
    columns = []
    for field, spec in CONTRACT.kinds[kind].fields.items():
        if not spec.read or spec.type is None:
            continue
        field_type = spec.type
        choices: tuple[str, ...] = ()
        accepted: tuple[str, ...] = ()
        bound = None
        if field_type == "village":
            rule, choices, accepted = TEMPLATE_RULES["village"], villages, villages
        elif groups := spelling_groups(field_type, config, vocabulary):
            rule = TEMPLATE_RULES["mode" if field_type == "mode" else "enum"]
            choices = (*[g[0] for g in groups], *[s for _, others in groups for s in others])
            accepted = tuple(
                TEMPLATE_TEXTS["other_spellings"].format(label=label, others="、".join(others))
                if others
                else label
                for label, others in groups
            )
        elif field_type == "count":
            bound = spec.upper_bound or QUANTITY_CEILING
            rule = TEMPLATE_RULES["count"].format(bound=bound)
        else:
            rule = TEMPLATE_RULES[field_type]
        columns.append(
            TemplateColumn(
                field=field,
                header=field_label(kind, field),
                field_type=field_type,
                required=spec.required,
                rule=rule,
                choices=choices,
                accepted=accepted,
                upper_bound=bound,
            )
        )
    return tuple(columns)


def number_format(column: TemplateColumn) -> str:
    """Dates as dates, counts as whole numbers, everything else as text."""
    if column.field_type in ("date", "vaccination_date"):
        return DATE_FORMAT
    return COUNT_FORMAT if column.field_type == "count" else TEXT_FORMAT


def _note(column: TemplateColumn) -> dict[str, str]:
    need = TEMPLATE_TEXTS["required" if column.required else "optional"]
    return {
        "input_title": f"{column.header}（{need}）"[:NOTE_TITLE_MAX],
        "input_message": column.rule[:NOTE_MAX],
    }


def validation(column: TemplateColumn, source: str | None) -> dict[str, Any]:
    """The xlsxwriter data validation of a column; ``source`` is the range of its list."""
    checks: dict[str, Any]
    field_type = column.field_type
    if column.choices:
        checks = {"validate": "list", "source": source}
        if not column.refuses_unknown:
            checks |= {"error_type": "warning", "error_message": TEMPLATE_ERRORS["mode"]}
        else:
            checks["error_message"] = TEMPLATE_ERRORS["list"]
    elif field_type == "id":
        low, high = ID_LENGTHS
        checks = {"validate": "length", "criteria": "between", "minimum": low, "maximum": high}
        checks["error_message"] = TEMPLATE_ERRORS["id"]
    elif field_type == "date":
        checks = {"validate": "date", "criteria": "<=", "value": "=TODAY()"}
        checks["error_message"] = TEMPLATE_ERRORS["date"]
    elif field_type == "vaccination_date":
        checks = {"validate": "date", "criteria": "between"}
        checks |= {"minimum": VACCINATION_START, "maximum": "=TODAY()"}
        checks["error_message"] = TEMPLATE_ERRORS["vaccination_date"]
    elif field_type == "count":
        checks = {"validate": "integer", "criteria": "between", "minimum": 0}
        checks["maximum"] = column.upper_bound
        checks["error_message"] = TEMPLATE_ERRORS["count"].format(bound=column.upper_bound)
    else:
        return {"validate": "any", **_note(column)}
    return {**checks, "error_title": TEMPLATE_TEXTS["error_title"], **_note(column)}


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def column_width(column: TemplateColumn) -> int:
    """Wide enough for the header, the longest choice and the column's typical value."""
    widest = max(
        (_display_width(t) for t in (column.header, *column.choices)),
        default=0,
    )
    return max(WIDTH_MIN, min(WIDTH_MAX, max(widest, TYPE_WIDTHS.get(column.field_type, 0)) + 2))


def template_name(kind: FileKind, village: str | None = None) -> str:
    """The file name of a template: 人口花名册（模板）.xlsx, 石门村人口花名册（模板）.xlsx."""
    return TEMPLATE_TEXTS["file_name"].format(village=village or "", label=KIND_LABELS[kind])


def resolve_kinds(
    names: Sequence[str], config: TownshipConfig, for_village: bool
) -> list[FileKind]:
    """The kinds named on the command line (by name or label); none named: every kind, or for
    a village the kinds the township requires of every village (config ``required_kinds``)."""
    if not names:
        return list(config.required_kinds) if for_village else list(get_args(FileKind))
    by_name: dict[str, FileKind] = {k: k for k in get_args(FileKind)}
    by_name |= {label: kind for kind, label in KIND_LABELS.items()}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        known = "、".join(f"{label}（{kind}）" for kind, label in KIND_LABELS.items())
        raise ConfigError(
            TEMPLATE_TEXTS["unknown_kind"].format(names="、".join(unknown), known=known)
        )
    return list(dict.fromkeys(by_name[n] for n in names))


def template_paths(
    outdir: Path, kinds: Iterable[FileKind], villages: Sequence[str]
) -> list[tuple[Path, FileKind, str | None]]:
    """Where each template goes: OUTDIR/<template>, or OUTDIR/<village>/<village's template>."""
    if not villages:
        return [(outdir / template_name(kind), kind, None) for kind in kinds]
    kinds = list(kinds)
    return [
        (outdir / village / template_name(kind, village), kind, village)
        for village in villages
        for kind in kinds
    ]


def _list_ranges(
    workbook: xlsxwriter.Workbook, columns: Sequence[TemplateColumn], villages: Sequence[str]
) -> dict[tuple[str, ...], str]:
    """Each distinct list on the hidden sheet, one column per list under a caption; the
    absolute range each validation refers to."""
    lists: dict[tuple[str, ...], str] = {}
    for column in columns:
        if column.choices:
            lists.setdefault(column.choices, column.header)
    if villages:
        lists.setdefault(tuple(villages), TEMPLATE_TEXTS["unit"].rstrip("："))
    if not lists:
        return {}
    name = TEMPLATE_TEXTS["lists_sheet"]
    sheet = workbook.add_worksheet(name)
    ranges = {}
    for c, (values, header) in enumerate(lists.items()):
        sheet.write_string(0, c, TEMPLATE_TEXTS["list_caption"].format(header=header))
        for r, value in enumerate(values, start=1):
            sheet.write_string(r, c, value)
        letter = xl_col_to_name(c)
        ranges[values] = f"='{name}'!${letter}$2:${letter}${len(values) + 1}"
    sheet.hide()
    return ranges


def _guide(
    workbook: xlsxwriter.Workbook, kind: FileKind, columns: Sequence[TemplateColumn]
) -> None:
    """The 填表说明 sheet: the notes, then one line per column."""
    sheet = workbook.add_worksheet(TEMPLATE_TEXTS["guide_sheet"])
    bold = workbook.add_format({"bold": True})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    sheet.write_string(0, 0, TEMPLATE_TEXTS["guide_title"].format(label=KIND_LABELS[kind]), bold)
    notes = [*TEMPLATE_NOTES, *([TEMPLATE_UNIT_NOTE] if kind in VILLAGE_FILE_KINDS else [])]
    for r, note in enumerate(notes, start=1):
        sheet.write_string(r, 0, note)
    top = len(notes) + 2
    for c, heading in enumerate(TEMPLATE_GUIDE_HEADINGS):
        sheet.write_string(top, c, heading, bold)
    for r, column in enumerate(columns, start=top + 1):
        need = TEMPLATE_TEXTS["required" if column.required else "optional"]
        for c, text in enumerate((column.header, need, column.rule, "、".join(column.accepted))):
            sheet.write_string(r, c, text, wrap)
    sheet.set_column(0, 1, 14)
    sheet.set_column(2, 2, 40)
    sheet.set_column(3, 3, 60)


def write_template(
    path: Path, kind: FileKind, config: TownshipConfig, village: str | None = None
) -> None:
    """Write ``kind``'s blank template to ``path`` through a temporary file beside it, so a
    failed write leaves no half workbook; ``village`` pre-fills its title and 填报单位."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        workbook = xlsxwriter.Workbook(str(partial), {"strings_to_numbers": False})
        _build(workbook, kind, config, village)
        workbook.close()
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _build(
    workbook: xlsxwriter.Workbook, kind: FileKind, config: TownshipConfig, village: str | None
) -> None:
    """The data sheet (title, 填报单位, 填报日期, header, typed and validated columns), the
    填表说明 and the hidden lists."""
    columns = template_columns(kind, config)
    sheet = workbook.add_worksheet(KIND_LABELS[kind])
    title = workbook.add_format({"bold": True, "font_size": 14, "align": "center"})
    header = {"bold": True, "border": 1, "bg_color": "#D9E1F2", "align": "center"}
    headers = {
        need: workbook.add_format(header | ({"font_color": "#C00000"} if need else {}))
        for need in (True, False)
    }
    formats = {
        f: workbook.add_format({"num_format": f}) for f in (TEXT_FORMAT, DATE_FORMAT, COUNT_FORMAT)
    }
    villages = [v.name for v in config.villages] if kind in VILLAGE_FILE_KINDS else []
    _guide(workbook, kind, columns)
    ranges = _list_ranges(workbook, columns, villages)

    label = TEMPLATE_TEXTS["title"].format(village=village or "", label=KIND_LABELS[kind])
    sheet.merge_range(TITLE_ROW, 0, TITLE_ROW, max(len(columns) - 1, 1), label, title)
    sheet.write_string(UNIT_ROW, 0, TEMPLATE_TEXTS["unit"])
    if village:
        sheet.write_string(UNIT_ROW, 1, village, formats[TEXT_FORMAT])
    if villages:
        sheet.data_validation(
            UNIT_ROW, 1, UNIT_ROW, 1,
            {"validate": "list", "source": ranges[tuple(villages)],
             "error_title": TEMPLATE_TEXTS["error_title"],
             "error_message": TEMPLATE_ERRORS["list"]},
        )  # fmt: skip
    sheet.write_string(REPORTED_ROW, 0, TEMPLATE_TEXTS["reported_on"])
    sheet.write_blank(REPORTED_ROW, 1, None, formats[DATE_FORMAT])
    sheet.data_validation(
        REPORTED_ROW, 1, REPORTED_ROW, 1,
        {"validate": "date", "criteria": "<=", "value": "=TODAY()",
         "error_title": TEMPLATE_TEXTS["error_title"], "error_message": TEMPLATE_ERRORS["date"]},
    )  # fmt: skip
    for c, column in enumerate(columns):
        sheet.write_string(HEADER_ROW, c, column.header, headers[column.required])
        sheet.set_column(c, c, column_width(column), formats[number_format(column)])
        sheet.data_validation(
            DATA_ROW, c, LAST_ROW, c, validation(column, ranges.get(column.choices))
        )
    sheet.freeze_panes(DATA_ROW, 0)


def write_templates(
    outdir: Path, config: TownshipConfig, kinds: Sequence[FileKind], villages: Sequence[str]
) -> list[Path]:
    """Write every template into ``outdir``; an existing file is never overwritten (a template
    half filled in would be lost): then nothing is written and the error names them."""
    for folder in (outdir, *outdir.parents):
        if folder.exists():
            if not folder.is_dir():
                raise TemplatesNotWritten(TEMPLATE_TEXTS["not_a_folder"].format(path=folder))
            break
    plan = template_paths(outdir, kinds, villages)
    taken = [path for path, _, _ in plan if path.exists()]
    if taken:
        raise TemplatesNotWritten(TEMPLATE_TEXTS["exists"].format(path=taken[0], count=len(taken)))
    for path, kind, village in plan:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_template(path, kind, config, village)
    return [path for path, _, _ in plan]
