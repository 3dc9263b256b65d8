"""sql/metrics/demonstration.sql: villages taking part in the demonstration campaign.

Only rows marked taking part count, and their null counts add nothing.
"""

from __future__ import annotations

from sql_given import metric_lines, store, township

FAMILY = "demonstration"


def village(file_id, code, taking_part, stage, party_members, volunteers) -> dict:
    return {
        "file_id": file_id,
        "village_code": code,
        "taking_part": taking_part,
        "stage": stage,
        "party_members": party_members,
        "volunteers": volunteers,
    }


LEDGER = [
    village("d1", "01", "yes", "accepted", 5, 10),
    village("d1", "02", "yes", "advancing", 3, None),
    village("d1", "03", "yes", None, None, 4),  # taking part, no stage stated
    village("d2", "04", "no", "launched", 7, 7),  # not taking part: in no figure here
]


def test_villages_taking_part_by_stage(tmp_path) -> None:
    config = township()
    db = store(tmp_path, config, demonstration=LEDGER)
    assert metric_lines(db, FAMILY, config) == [
        # no 'launched' line: the only launched village does not take part
        {"line": "by_stage", "code": "accepted", "count": 1},
        {"line": "by_stage", "code": "advancing", "count": 1},
        {
            "line": "total",
            "villages_taking_part": 3,
            "villages_passed": 1,  # stage accepted
            "party_members": 8,  # 5 + 3
            "volunteers": 14,  # 10 + 4
            "source_files": 2,  # every row of the ledger is a source, taking part or not
            "source_rows": 4,
        },
    ]


def test_no_village_taking_part_gives_zeros(tmp_path) -> None:
    config = township()
    db = store(tmp_path, config, demonstration=LEDGER[3:])
    assert metric_lines(db, FAMILY, config) == [
        {
            "line": "total",
            "villages_taking_part": 0,
            "villages_passed": 0,
            "party_members": 0,
            "volunteers": 0,
            "source_files": 1,
            "source_rows": 1,
        }
    ]
