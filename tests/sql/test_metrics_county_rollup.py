"""sql/metrics/county_rollup.sql: townships side by side and the county's total, its rates
recomputed from the summed counts (never an average of the townships' rates)."""

from __future__ import annotations

from decimal import Decimal

from sql_given import county_rows

COUNTY = "云溪县"


def figures(p60, v60_dose1, v60_dose2, p18, booster, leaflet, talk) -> dict:
    return {
        "p60": p60,
        "v60_dose1": v60_dose1,
        "v60_dose2": v60_dose2,
        "p18": p18,
        "booster": booster,
        "leaflet": leaflet,
        "talk": talk,
    }


TOWNSHIPS = {
    # given out of code order: the township lines come sorted by code, the county's last
    "c": ("丙镇", figures(4, 5, 3, 4, 4, 0, 1)),  # 5 of 4 vaccinated: capped at 100.00
    "a": ("甲镇", figures(1, 1, 0, 8, 1, 10, 2)),
    "b": ("乙镇", figures(3, 1, 2, 0, 0, 5, 0)),  # nobody of 18+: booster rate null
}


def test_townships_and_county_total(tmp_path) -> None:
    assert county_rows(tmp_path, COUNTY, TOWNSHIPS) == [
        {
            "township_code": "a",
            "township_name": "甲镇",
            "p60": 1,
            "v60_dose1": 1,
            "v60_dose1_pct": Decimal("100.00"),
            "v60_dose2": 0,
            "v60_dose2_pct": Decimal("0.00"),
            "p18": 8,
            "booster": 1,
            "booster_pct": Decimal("12.50"),
            "leaflet": 10,
            "talk": 2,
        },
        {
            "township_code": "b",
            "township_name": "乙镇",
            "p60": 3,
            "v60_dose1": 1,
            "v60_dose1_pct": Decimal("33.33"),
            "v60_dose2": 2,
            "v60_dose2_pct": Decimal("66.67"),  # 66.666... half up
            "p18": 0,
            "booster": 0,
            "booster_pct": None,  # zero denominator
            "leaflet": 5,
            "talk": 0,
        },
        {
            "township_code": "c",
            "township_name": "丙镇",
            "p60": 4,
            "v60_dose1": 5,
            "v60_dose1_pct": Decimal("100.00"),  # 125% capped
            "v60_dose2": 3,
            "v60_dose2_pct": Decimal("75.00"),
            "p18": 4,
            "booster": 4,
            "booster_pct": Decimal("100.00"),
            "leaflet": 0,
            "talk": 1,
        },
        {
            "township_code": None,
            "township_name": COUNTY,
            "p60": 8,
            "v60_dose1": 7,
            # 7/8 from the sums, not the mean of 100.00, 33.33 and 100.00 (77.78)
            "v60_dose1_pct": Decimal("87.50"),
            "v60_dose2": 5,
            "v60_dose2_pct": Decimal("62.50"),
            "p18": 12,
            "booster": 5,
            "booster_pct": Decimal("41.67"),  # 5/12 = 41.666...
            "leaflet": 15,
            "talk": 3,
        },
    ]


def test_a_county_without_elderly_has_null_rates(tmp_path) -> None:
    rows = county_rows(tmp_path, COUNTY, {"a": ("甲镇", figures(0, 0, 0, 0, 0, 0, 0))})
    total = rows[-1]
    assert total["township_code"] is None and total["township_name"] == COUNTY
    assert (total["v60_dose1_pct"], total["v60_dose2_pct"], total["booster_pct"]) == (
        None,
        None,
        None,
    )
    assert total["p60"] == 0
