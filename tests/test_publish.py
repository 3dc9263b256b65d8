"""What the project writes for people: CSV cells that cannot run as formulas."""

from __future__ import annotations

import csv
import io

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from transforms.publish import frame_to_csv


def test_cells_starting_like_a_formula_are_escaped() -> None:
    frame = pl.DataFrame(
        {"value": ["=SUM(A1:A9)", "+86 13800000000", "-200", "@cmd", "约300", None], "n": range(6)}
    )
    text = frame_to_csv(frame)
    assert text.startswith("\ufeff")  # Excel opens UTF-8 with a BOM as UTF-8
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert [r["value"] for r in rows] == [
        "'=SUM(A1:A9)",
        "'+86 13800000000",
        "'-200",
        "'@cmd",
        "约300",
        "",
    ]
    assert [r["n"] for r in rows] == ["0", "1", "2", "3", "4", "5"]


@given(
    lead=st.sampled_from(["=", "+", "-", "@", "\t", "\r"]),
    rest=st.text(max_size=20),
    plain=st.text(max_size=20).filter(lambda t: not t.startswith(("=", "+", "-", "@", "\t", "\r"))),
)
def test_a_leading_tab_or_cr_is_escaped_like_a_formula_sign(lead: str, rest: str, plain: str):
    """Excel skips a leading TAB or CR and reads what follows as a formula."""
    frame = pl.DataFrame({"value": [lead + rest, plain]})
    text = frame_to_csv(frame).removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[1] == ["'" + lead + rest]
    assert rows[2] == [plain]  # anything else stays as it was
