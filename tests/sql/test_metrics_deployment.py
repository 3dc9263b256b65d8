"""sql/metrics/deployment.sql: meetings and documents from the period's start up to R.

Period 2022-01-01 .. 2022-12-31, R = 2022-12-20; both ends of [start, R] are inside.
"""

from __future__ import annotations

import datetime as dt

from sql_given import metric_lines, store, township

FAMILY = "deployment"


def entry(file_id: str, held: str, meeting_type: str, title: str, doc_number=None) -> dict:
    return {
        "file_id": file_id,
        "held_on": held,
        "title": title,
        "meeting_type": meeting_type,
        "doc_number": doc_number,
    }


ENTRIES = [
    entry("m1", "2022-01-01", "party_committee", "党委会研究部署疫情防控"),  # the period's start
    entry("m1", "2022-03-05", "special_meeting", "疫情防控专题会"),
    entry("m1", "2022-03-06", "party_committee", "党委会听取疫苗接种进展"),
    entry("m1", "2021-12-31", "party_committee", "上一期的党委会"),  # before the period
    entry("m2", "2022-12-20", "plan_document", "《白沙镇疫情防控工作方案》", "白政发〔2022〕12号"),
    entry("m2", "2022-02-10", "notice_document", "关于做好春节期间疫情防控的通知"),
    entry("m2", "2022-12-21", "dispatch_meeting", "R之后的调度会"),  # in the period, after R
]


def test_meetings_by_type_and_documents_in_date_order(tmp_path) -> None:
    config = township()
    db = store(tmp_path, config, meeting=ENTRIES)
    assert metric_lines(db, FAMILY, config) == [
        {
            "line": "documents",
            "title": "关于做好春节期间疫情防控的通知",
            "issued_on": dt.date(2022, 2, 10),
        },
        {
            "line": "documents",
            "title": "《白沙镇疫情防控工作方案》",  # the brackets go at assembly, not in SQL
            "doc_number": "白政发〔2022〕12号",
            "issued_on": dt.date(2022, 12, 20),  # R itself is in
        },
        {"line": "meetings_by_type", "code": "party_committee", "count": 2},
        {"line": "meetings_by_type", "code": "special_meeting", "count": 1},
        {
            "line": "total",
            "meetings_total": 3,
            "documents_total": 2,
            "source_files": 2,
            "source_rows": 5,  # seven entries, one before the period, one after R
        },
    ]


def test_a_period_ending_before_the_cutoff_ends_the_count(tmp_path) -> None:
    """The window ends at least(period end, R): here the period's end, 2022-03-05."""
    config = township(period={"start": "2022-01-01", "end": "2022-03-05"})
    db = store(tmp_path, config, meeting=ENTRIES)
    total = metric_lines(db, FAMILY, config)[-1]
    # 2022-01-01 party committee, 2022-03-05 special meeting, 2022-02-10 notice
    assert total == {
        "line": "total",
        "meetings_total": 2,
        "documents_total": 1,
        "source_files": 2,
        "source_rows": 3,
    }
