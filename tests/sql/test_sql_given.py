"""The helper that stores given rows: a column the stored table lacks must fail the test, so a
renamed or dropped column cannot leave these tests passing on stale input."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from sql_given import store, township


def test_a_column_the_staging_table_lacks_is_refused(tmp_path) -> None:
    with pytest.raises(KeyError, match="stg_grid has no column"):
        store(tmp_path, township(), grid=[{"file_id": "g1", "grid_name": "一网格"}])


def test_given_rows_take_the_stored_types(tmp_path) -> None:
    """ISO strings become dates, counts BIGINT, as the load stage stores them."""
    row = {"file_id": "g1", "grid_code": "01-1", "households": 5, "visited_on": "2022-03-01"}
    db = store(tmp_path, township(), grid=[row])
    with duckdb.connect(str(db), read_only=True) as con:
        stored = con.sql("select households, visited_on, row_number from stg_grid")
        assert [str(t) for t in stored.types] == ["BIGINT", "DATE", "BIGINT"]
        assert stored.fetchall() == [(5, dt.date(2022, 3, 1), 1)]
