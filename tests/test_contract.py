"""The input contract (kinds/): the shipped one loads, and each rule refuses a broken copy
with one line naming the file and the field."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml

from epireport.config import FileKind
from transforms.contract import KINDS_DIR, ContractError, load_contract
from transforms.normalize import FIELD_TYPES
from transforms.vocabulary import (
    DOSE_LABELS,
    HEADER_ALIASES,
    OUT_OF_BASE_STATUSES,
    PUBLICITY_UNITS,
    REQUIRED_FIELDS,
    enumeration_labels,
)

Edit = Callable[[Any], None]


def test_the_shipped_contract_loads_with_every_kind_in_file_kind_order() -> None:
    contract = load_contract()
    assert list(contract.kinds) == list(get_args(FileKind))
    assert contract.kinds["roster"].label == "人口花名册"
    assert contract.kinds["reserve"].fields["beds"].upper_bound == 100_000


def test_the_derived_tables_keep_the_contract_order_and_kinds() -> None:
    assert HEADER_ALIASES["roster"]["id_number"][0] == "身份证号码"
    assert REQUIRED_FIELDS["verification"] == ("pushed_on", "id_number", "village", "result")
    assert "sex" in HEADER_ALIASES["roster"] and "sex" not in FIELD_TYPES["roster"]
    assert FIELD_TYPES["verification"]["result"] == "enum:verification_result"
    assert DOSE_LABELS["加强针"] == 3 and DOSE_LABELS["1"] == 1
    assert sorted(OUT_OF_BASE_STATUSES) == ["deceased", "moved_out"]
    assert list(PUBLICITY_UNITS) == ["broadcast", "poster", "banner", "leaflet", "audio", "talk"]
    assert enumeration_labels("yes_no") == {"yes": "是", "no": "否"}


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "kinds"
    shutil.copytree(KINDS_DIR, folder)
    return folder


def _edit(folder: Path, name: str, edit: Edit) -> None:
    path = folder / name
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _set(*keys: str | int, value: Any) -> Edit:
    def edit(data: Any) -> None:
        for key in keys[:-1]:
            data = data[key]
        data[keys[-1]] = value

    return edit


def _drop(*keys: str | int) -> Edit:
    def edit(data: Any) -> None:
        for key in keys[:-1]:
            data = data[key]
        del data[keys[-1]]

    return edit


def _refusal(folder: Path) -> str:
    with pytest.raises(ContractError) as refused:
        load_contract(folder)
    message = str(refused.value)
    assert "\n" not in message
    return message


BROKEN = [
    pytest.param(
        "key_place.yaml",
        _set("fields", "place_type", "type", value="enum:place_types"),
        ("fields.place_type.type", "place_types"),
        id="enumeration that does not exist",
    ),
    pytest.param(
        "roster.yaml",
        _set("fields", "status", "type", value="enum:status"),
        ("fields.status.type", "type: status"),
        id="enum: naming a dedicated enumeration",
    ),
    pytest.param(
        "vaccination.yaml",
        _set("fields", "dose", "type", value="dose_number"),
        ("fields.dose", "unknown type"),
        id="unknown type",
    ),
    pytest.param(
        "roster.yaml",
        _set("fields", "relation", "required", value=True),
        ("fields.relation", "read: false"),
        id="required field never read",
    ),
    pytest.param(
        "vaccination.yaml",
        _set("fields", "vaccine", "type", value=None),
        ("fields.vaccine", "type missing"),
        id="read field without type",
    ),
    pytest.param(
        "meeting.yaml",
        _set("fields", "doc_number", "requried", value=True),
        ("fields.doc_number.requried", "Extra inputs"),
        id="misspelt key",
    ),
    pytest.param(
        "meeting.yaml",
        lambda data: [f.pop("required", None) for f in data["fields"].values()],
        ("fields", "no required field"),
        id="kind without required field",
    ),
    pytest.param(
        "grid.yaml",
        _set("fields", "grid_code", "upper_bound", value=100),
        ("fields.grid_code", "upper_bound"),
        id="upper bound on a non-count",
    ),
    pytest.param(
        "grid.yaml",
        _set("fields", "households", "upper_bound", value="100000"),
        ("fields.households.upper_bound", "integer"),
        id="upper bound not a number",
    ),
    pytest.param(
        "vaccination.yaml",
        _set("fields", "site", "personal", value=True),
        ("fields.site", "personal"),
        id="personal field stored",
    ),
    pytest.param(
        "grid.yaml",
        _set("fields", "grid_leader", "personal", value=False),
        ("fields.grid_leader", "personal: true"),
        id="person's field not flagged personal",
    ),
    pytest.param(
        "publicity.yaml",
        _set("fields", "place", "headers", value=[]),
        ("fields.place.headers", "at least 1"),
        id="field without headers",
    ),
    pytest.param(
        "enumerations.yaml",
        _set("status", "codes", "away", "spellings", value=["外出", "外出 务工"]),
        ("status.codes.away.spellings", "外出 务工", "away_work"),
        id="spelling of two codes",
    ),
    pytest.param(
        "enumerations.yaml",
        _set("dose", "codes", 1, "spellings", value=[1, "第一针"]),
        ("dose.codes.1.spellings.0", "string"),
        id="spelling not text",
    ),
    pytest.param(
        "enumerations.yaml",
        _drop("publicity_kind", "codes", "talk", "unit"),
        ("publicity_kind.codes.talk.unit", "missing"),
        id="unit missing on one code",
    ),
    pytest.param(
        "enumerations.yaml",
        _drop("mode"),
        ("vaccination.yaml", "fields.mode.type", "'mode'"),
        id="type of a missing enumeration",
    ),
]


@pytest.mark.parametrize(("name", "edit", "named"), BROKEN)
def test_a_broken_contract_is_refused_naming_file_and_field(
    tmp_path: Path, name: str, edit: Edit, named: tuple[str, ...]
) -> None:
    folder = _copy(tmp_path)
    load_contract(folder)
    _edit(folder, name, edit)
    message = _refusal(folder)
    assert str(folder) in message
    for part in (name, *named):
        assert part in message, message


def test_a_bare_yes_as_a_code_is_refused_not_read_as_true(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    path = folder / "enumerations.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('"yes":', "yes:"), encoding="utf-8")
    message = _refusal(folder)
    assert "enumerations.yaml: yes_no.codes" in message and "quote" in message


def test_every_kind_needs_its_file_and_no_file_names_an_unknown_kind(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "meeting.yaml").rename(folder / "meetings.yaml")
    assert "meetings.yaml" in _refusal(folder)
    (folder / "meetings.yaml").rename(folder / "meeting.yaml")
    (folder / "grid.yaml").unlink()
    assert "grid.yaml: missing" in _refusal(folder)


def test_a_file_that_is_no_yaml_is_refused_with_its_line(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "reserve.yaml").write_text("label: [医疗资源\nfields: {}\n", encoding="utf-8")
    message = _refusal(folder)
    assert "reserve.yaml: not valid YAML" in message and "line" in message
