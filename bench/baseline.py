"""The floor we compare against: bare Polars + DuckDB computing the headline coverage.

It reads the same raw files, finds the ID / status / dose / date columns by keyword, and
computes V60_1 coverage in one SQL statement: no header aliases, no refusal accounting,
no quality checks, no report. Its figure may differ from the pipeline's by the rows a
careful reader refuses; the point is the time. It imports nothing from transforms/ or
flows/, so that it stays the cost of the task done plainly.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import fastexcel
import polars as pl

KEYWORDS = {
    "id": ("身份", "证件号码"),
    "status": ("状态", "在家情况"),
    "dose": ("剂次", "针次", "第几针"),
    "date": ("接种日期", "接种时间"),
}


def _frames(path: Path) -> list[pl.DataFrame]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("gb18030")
        sep = "\t" if text[:2000].count("\t") > text[:2000].count(",") else ","
        width = max(line.count(sep) + 1 for line in text.splitlines()[:50])
        return [
            pl.read_csv(
                text.encode(), has_header=False, separator=sep, missing_columns="insert",
                schema={f"c{i}": pl.String for i in range(width)}, truncate_ragged_lines=True,
            )
        ]  # fmt: skip
    if suffix in (".xlsx", ".xls"):
        try:
            reader = fastexcel.read_excel(path)
            return [
                reader.load_sheet(i, header_row=None, dtypes="string").to_polars()
                for i in range(len(reader.sheet_names))
            ]
        except fastexcel.FastExcelError:  # a broken workbook is simply skipped by the floor
            return []
    return []


def _pick(frame: pl.DataFrame) -> tuple[str, pl.DataFrame] | None:
    """Find the header row by keyword and return (kind, columns renamed)."""
    for index, row in enumerate(frame.head(6).iter_rows()):
        cells = [str(c or "") for c in row]
        found = {}
        for key in KEYWORDS:
            for pos, cell in enumerate(cells):
                if any(word in cell for word in KEYWORDS[key]):
                    found.setdefault(key, pos)
        if "id" not in found:
            continue
        kind = "vaccination" if "dose" in found and "date" in found else "roster"
        keep = ["id", "dose", "date"] if kind == "vaccination" else ["id", "status"]
        if any(k not in found for k in keep):
            return None
        body = frame.slice(index + 1)
        return kind, body.select(pl.col(body.columns[found[k]]).alias(k) for k in keep)
    return None


def baseline_coverage(inbox: Path, cutoff: dt.date) -> dict[str, float]:
    """V60_1 coverage from the raw files, the plain way."""
    tables: dict[str, list[pl.DataFrame]] = {"roster": [], "vaccination": []}
    for path in sorted(p for p in inbox.rglob("*") if p.is_file()):
        for frame in _frames(path):
            picked = _pick(frame)
            if picked:
                tables[picked[0]].append(picked[1])
    roster = pl.concat(tables["roster"])
    vaccination = pl.concat(tables["vaccination"])
    con = duckdb.connect()
    con.register("roster", roster)
    con.register("vaccination", vaccination)
    row = con.sql(
        """
        with people as (
            select distinct upper(regexp_replace(id, '[ -]', '', 'g')) as id
            from roster
            where status not in ('死亡', '迁出')
        ),
        aged as (
            select id, try_strptime(substr(id, 7, 8), '%Y%m%d')::date as birth
            from people
            where length(id) = 18
        ),
        elderly as (
            select id from aged
            where birth is not null and date_diff('year', birth, $cutoff::date)
                - (strftime(birth, '%m%d') > strftime($cutoff::date, '%m%d'))::int >= 60
        ),
        first_doses as (
            select distinct upper(regexp_replace(id, '[ -]', '', 'g')) as id from vaccination
            where dose in ('1', '第1剂', '第一剂', '第一针', '第1针')
        )
        select count(*), count(f.id) from elderly e left join first_doses f using (id)
        """,
        params={"cutoff": cutoff},
    ).fetchall()[0]
    p60, v60 = row
    return {"p60": p60, "v60_dose1": v60, "v60_dose1_pct": round(100 * v60 / p60, 2)}


def baseline_county(inboxes: list[tuple[Path, dt.date]]) -> dict[str, float]:
    """V60_1 coverage of a county: each township's inbox on its own, counts added, as a
    county roll-up counts (a person is counted by the township whose roster has them)."""
    figures = [baseline_coverage(inbox, cutoff) for inbox, cutoff in inboxes]
    p60 = sum(f["p60"] for f in figures)
    v60 = sum(f["v60_dose1"] for f in figures)
    return {"p60": p60, "v60_dose1": v60, "v60_dose1_pct": round(100 * v60 / p60, 2)}
