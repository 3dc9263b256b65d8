"""Personal data never reaches a reader: one mask for every text, and an inbox with IDs,
mobile numbers and names planted in every column, file name, sheet name, title and footer.

The mask is tested on generated texts (IDs and phones in every form clerks type, in any
surroundings; ordinary figures that must survive), and the promise end to end: the
planted inbox through the data stages and the output builder, then every listing, every
stored table and the DuckDB file's bytes scanned for the planted values.
"""

from __future__ import annotations

import datetime as dt

from conftest import DEMO_CONFIG, RUN_DATE
from hypothesis import given
from hypothesis import strategies as st
from personal_data import GIVEN, SURNAMES, plant_inbox, raw_text, squash, valid_id
from pipeline import run_stages

from epireport.config import load_config
from epireport.settings import project_resources
from transforms.masking import (
    VOCABULARY_LEXICON,
    mask_label,
    mask_text,
    scrub_cell,
    township_lexicon,
)
from transforms.outputs import build_outputs
from transforms.report_model import ReportContext
from transforms.villages import VillageIndex
from transforms.vocabulary import KIND_LABELS, REASON_TEXTS

# Surroundings: Han text, letters, punctuation and spaces, never a digit (a digit next to a
# number makes it another, longer number).
SURROUNDING = st.text(
    alphabet=st.sampled_from("张王李石门村花名册接种已电话身份证号，：（）；,.:/_ ()abcXY\t\n"),
    max_size=12,
)
# Between two numbers at least one such character: with none they are one longer number.
SEPARATING = SURROUNDING.filter(lambda s: s.strip(" \t\n") != "")
IDS = st.builds(
    valid_id,
    st.sampled_from(["430102", "430521", "110105", "510703"]),
    st.dates(dt.date(1930, 1, 1), dt.date(2020, 12, 31)),
    st.integers(0, 999),
)
PHONES = st.builds(
    lambda second, rest: f"1{second}{rest:09d}",
    st.sampled_from("3456789"),
    st.integers(0, 10**9 - 1),
)
NAMES = st.builds(
    lambda s, g: s + g,
    st.sampled_from(SURNAMES),
    st.text(alphabet=st.sampled_from(GIVEN), min_size=1, max_size=2),
)


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


@st.composite
def typed_id(draw) -> tuple[str, str]:
    """An ID and the way a clerk typed it."""
    value = draw(IDS)
    forms = [
        value, value.lower(), fullwidth(value), f"{value[:6]} {value[6:14]} {value[14:]}",
        f"{value[:6]}-{value[6:14]}-{value[14:]}",
        " ".join(value[i : i + 4] for i in range(0, 18, 4)),
    ]  # fmt: skip
    return value, draw(st.sampled_from(forms))


@st.composite
def typed_phone(draw) -> tuple[str, str]:
    value = draw(PHONES)
    forms = [
        value, f"+86 {value}", f"+86-{value}", f"0086{value}", f"86{value}", fullwidth(value),
        f"{value[:3]} {value[3:7]} {value[7:]}", f"{value[:3]}-{value[3:7]}-{value[7:]}",
    ]  # fmt: skip
    return value, draw(st.sampled_from(forms))


@given(st.lists(st.one_of(typed_id(), typed_phone()), min_size=1, max_size=4), st.data())
def test_no_full_id_or_phone_survives_in_any_surroundings(numbers, data) -> None:
    text = "".join(data.draw(SEPARATING) + typed for _, typed in numbers) + data.draw(SURROUNDING)
    for masked in (mask_text(text), mask_label(text), scrub_cell(text)):
        flat = squash(masked)
        for value, _ in numbers:
            assert value not in flat, (text, masked)
            kept = (
                f"{value[:4]}**********{value[-4:]}"
                if len(value) == 18
                else f"{value[:3]}******{value[-2:]}"
            )
            assert kept in masked, (text, masked)


FIGURES = st.one_of(
    st.integers(0, 10**7).map(str),
    st.integers(1000, 10**7).map(lambda n: f"{n:,}"),
    st.dates().map(lambda d: d.isoformat()),
    st.dates().map(lambda d: f"{d.year}年{d.month}月{d.day}日"),
    st.dates().map(lambda d: f"{d.year}/{d.month}/{d.day}"),
    st.dates().map(lambda d: f"{d:%Y%m%d}"),
    st.builds(lambda y, n: f"青政发〔{y}〕{n}号", st.integers(2000, 2030), st.integers(1, 300)),
    st.builds(lambda n: f"约{n}张", st.integers(1, 9999)),
    st.builds(lambda a, b: f"{a}.{b:02d}%", st.integers(0, 100), st.integers(0, 99)),
)
# Between two figures: a word or punctuation, as in a sentence (not a lone space or hyphen,
# which would join them into one longer number).
BETWEEN = st.sampled_from(["，", "、", "；", "至", "和", " 共 ", "：", "剂次，", "）（"])


@given(st.lists(FIGURES, min_size=1, max_size=6), st.data())
def test_ordinary_figures_survive_unchanged(figures, data) -> None:
    text = "".join(f + data.draw(BETWEEN) for f in figures)
    assert mask_text(text) == text


def test_our_own_words_survive_the_name_rule() -> None:
    for text in [*REASON_TEXTS.values(), *KIND_LABELS.values(), "石门村/花名册(最终版)(1).xlsx"]:
        assert mask_label(text, VOCABULARY_LEXICON) == text


DEMO_LEXICON = township_lexicon(VillageIndex.from_config(load_config(DEMO_CONFIG)))
# What stands around a name in a file or sheet name: village names, kinds, versions, dates.
NAME_PARTS = st.lists(
    st.sampled_from(
        ["石门村", "青山", "白沙社区", "一组", "第二组", "（", "）", "_", "-", " ", "2022", "(1)",
         "最终版", "汇总", "/", "副本", *KIND_LABELS.values()]
    ),
    max_size=3,
).map("".join)  # fmt: skip


@given(NAMES, NAME_PARTS, NAME_PARTS, st.sampled_from(["", ".xlsx", ".csv"]))
def test_a_name_in_a_file_or_sheet_name_is_replaced(name, before, after, suffix) -> None:
    text = f"{before}{name}{after}{suffix}"
    masked = mask_label(text, DEMO_LEXICON)
    assert name not in masked, (text, masked)
    assert f"某某（{len(name)}字）" in masked
    assert mask_label(masked, DEMO_LEXICON) == masked  # a second pass changes nothing


def test_planted_personal_data_reaches_no_listing_table_or_stored_byte(tmp_path) -> None:
    inbox = tmp_path / "inbox"
    planted = plant_inbox(inbox)
    assert len(planted.ids) > 50 and len(planted.phones) > 50 and len(planted.names) > 50
    # The scan is not vacuous: it finds every planted value in the raw inbox.
    assert planted.found_in(raw_text(inbox)) == planted.ids | planted.phones | planted.names

    stages = run_stages(inbox, DEMO_CONFIG, tmp_path, RUN_DATE)
    assert stages.ingest.refused_rows.height > 20  # the shifted values were refused, listed
    context = ReportContext.from_config(stages.config, stages.computed.metrics, RUN_DATE)
    villages = VillageIndex.from_config(stages.config)
    outputs = build_outputs(
        context, stages.ingest.ledger, project_resources(), None, township_lexicon(villages),
        villages.names,
    )  # fmt: skip
    scanned = ("ingest_summary.csv", "refused_rows.csv", "report.txt", "office_note.txt")
    for name in (*scanned, "metrics.json"):
        found = planted.found_in(str(outputs[name]))
        assert not found, f"{name}: {sorted(found)[:5]}"
    database = stages.db_path.read_bytes().decode("utf-8", "ignore")
    assert not planted.found_in(database), sorted(planted.found_in(database))[:5]
