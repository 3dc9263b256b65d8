"""Township master data: a wrong file fails with a message naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import DEMO_CONFIG

from epireport.config import ConfigError, load_config


def write_variant(tmp_path: Path, change) -> Path:
    data = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "township.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_demo_config_loads() -> None:
    config = load_config(DEMO_CONFIG)
    assert config.township.name == "白沙镇"
    assert len(config.villages) == 20
    assert config.cutoff_date.isoformat() == "2022-12-20"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: d["township"].pop("name"), "township.name"),
        (lambda d: d["villages"][3].update(code="04 bad"), "villages.3.code"),
        (lambda d: d["period"].update(end="2021-01-01"), "period"),
        (lambda d: d["congress"].update(term="seventeen"), "congress.term"),
        (lambda d: d["villages"][1]["aliases"].append("石门"), "villages"),
        (lambda d: d.update(required_kinds=["roster", "hand-written notes"]), "required_kinds.1"),
        (lambda d: d.update(coverage_target_pct=120), "coverage_target_pct"),
        (lambda d: d.update(unknown_setting=1), "unknown_setting"),
        (lambda d: d["clinics"][1].update(village_code="99"), "clinics.1.village_code"),
    ],
)
def test_invalid_config_names_the_field(tmp_path, change, named: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_config(write_variant(tmp_path, change))
    assert named in str(error.value)


def test_missing_and_unreadable_files(tmp_path) -> None:
    with pytest.raises(ConfigError, match="找不到配置文件"):
        load_config(tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("township: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="无法读取配置文件"):
        load_config(broken)


def test_county_file_errors_are_one_line_naming_the_field(tmp_path) -> None:
    from epireport.config import load_county

    county = tmp_path / "county.yaml"
    county.write_text("county: {code: yunxi, name: 云溪县}\ntownships: []\n", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_county(county)
    assert "townships" in str(error.value)
    assert len(str(error.value).splitlines()) == 1
    county.write_text("county: [", encoding="utf-8")
    with pytest.raises(ConfigError, match="第 1 行，第 10 列") as error:  # after "county: ["
        load_county(county)
    assert len(str(error.value).splitlines()) == 1
