"""sql/metrics/party_building.sql: people mobilised, as every village's ledger row states them,
taking part in the demonstration campaign or not."""

from __future__ import annotations

from sql_given import metric_lines, store, township

FAMILY = "party_building"


def village(file_id, code, taking_part, party_members, volunteers) -> dict:
    return {
        "file_id": file_id,
        "village_code": code,
        "taking_part": taking_part,
        "party_members": party_members,
        "volunteers": volunteers,
    }


def test_members_and_volunteers_of_every_village(tmp_path) -> None:
    config = township()
    ledger = [
        village("d1", "01", "yes", 5, 10),
        village("d1", "02", "yes", 3, None),  # volunteers not stated
        village("d1", "03", "yes", None, 4),
        village("d2", "04", "no", 7, 7),  # not taking part: counted all the same
    ]
    db = store(tmp_path, config, demonstration=ledger)
    assert metric_lines(db, FAMILY, config) == [
        {
            "line": "total",
            "party_members": 15,  # 5 + 3 + 7
            "volunteers": 21,  # 10 + 4 + 7
            "source_files": 2,
            "source_rows": 4,
        }
    ]


def test_no_counts_stated_gives_zeros(tmp_path) -> None:
    config = township()
    db = store(tmp_path, config, demonstration=[village("d1", "01", "no", None, None)])
    assert metric_lines(db, FAMILY, config) == [
        {"line": "total", "party_members": 0, "volunteers": 0, "source_files": 1, "source_rows": 1}
    ]
