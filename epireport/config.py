"""Township master data: one YAML file per township, validated on load.

The file is written once by the township office. Everything the pipeline needs
to know about the township (villages and the names people type for them,
clinics, the congress session, the reporting period) comes from here and is
passed into the stages as parameters.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Hashable, Iterable
from pathlib import Path
from typing import Literal, TypeVar

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    ValidationError,
    field_validator,
    model_validator,
)

FileKind = Literal[
    "roster",
    "vaccination",
    "publicity",
    "verification",
    "grid",
    "key_place",
    "meeting",
    "demonstration",
    "reserve",
]

# Items of the 医疗资源及物资储备 ledger, in the order the report cites them.
ReserveItemCode = Literal[
    "beds",
    "fever_rooms",
    "oxygen_concentrators",
    "oximeters",
    "antipyretic_boxes",
    "antigen_tests",
]

# Paragraphs of the report a township may phrase its own way (report.paragraphs.<name>).
ParagraphName = Literal[
    "opening",
    "deployment",
    "vaccination",
    "publicity",
    "demonstration",
    "problems_intro",
    "problem_awareness",
    "problem_fatigue",
    "problem_capacity",
    "plan_intro",
    "plan_politics",
    "plan_prevention",
    "plan_treatment",
    "plan_publicity",
    "closing",
]


ModelT = TypeVar("ModelT", bound=BaseModel)


class ConfigError(ValueError):
    """A township file that cannot be used; the message names the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VocabularyAdditions(_Strict):
    """A township's own spellings and header aliases (checked against the shipped vocabulary
    by ``transforms/township_vocabulary.py`` when the file is loaded)."""

    spellings: dict[str, dict[str, str | int]] = Field(
        default_factory=dict,
        description="enumeration -> typed value -> its code or a shipped spelling of it",
    )
    headers: dict[FileKind, dict[str, tuple[str, ...]]] = Field(
        default_factory=dict, description="file kind -> field -> extra header texts"
    )


class Village(_Strict):
    code: str = Field(pattern=r"^[0-9A-Za-z-]{1,20}$")
    name: str = Field(min_length=2)
    aliases: tuple[str, ...] = ()


class Clinic(_Strict):
    code: str = Field(pattern=r"^[0-9A-Za-z-]{1,20}$")
    name: str = Field(min_length=2)
    kind: Literal["镇卫生院", "村卫生室", "社区卫生服务站"]
    village_code: str | None = None
    aliases: tuple[str, ...] = ()


class Congress(_Strict):
    term: int = Field(ge=1, le=99, description="届, e.g. 17 for 第十七届")
    session: int = Field(ge=1, le=20, description="次, e.g. 3 for 第三次会议")


class Period(_Strict):
    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError("period.end：结束日期早于 period.start")
        return self


class Township(_Strict):
    code: str = Field(pattern=r"^[a-z0-9-]{2,40}$", description="slug used in artifact keys")
    name: str = Field(min_length=2, description="e.g. 白沙镇")
    county: str = ""
    government: str = Field("", description="defaults to {name}人民政府")

    @property
    def government_name(self) -> str:
        return self.government or f"{self.name}人民政府"


class Schedule(_Strict):
    """When the nightly deployment runs: a cron line read in a named time zone."""

    cron: str = Field("0 2 * * *", description="minute hour day-of-month month day-of-week")
    timezone: str = Field("Asia/Shanghai", description="IANA time zone the cron line is read in")

    @field_validator("cron")
    @classmethod
    def _five_fields(cls, cron: str) -> str:
        fields = cron.split()
        if len(fields) != 5 or not all(re.fullmatch(r"[0-9A-Za-z*/,-]+", f) for f in fields):
            raise ValueError(f"“{cron}”不是五段式 cron 行（例如“0 2 * * *”）")
        return " ".join(fields)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"“{name}”不是 IANA 时区名（例如 Asia/Shanghai）") from e
        return name


class RunPaths(_Strict):
    """The inbox and output folder of scheduled runs; relative to the config file's folder."""

    inbox: Path
    out: Path


class ReportOptions(_Strict):
    """How the report is worded: paragraphs in the township's own words, the 口径说明 switch,
    and where the data caveats (数据说明) go: the office's note beside the report, or also
    the report's end."""

    paragraphs: dict[ParagraphName, str] = Field(
        default_factory=dict, description="replaces the template's wording of that paragraph"
    )
    method_note: bool = Field(True, description="end the report with the 口径说明")
    data_notes_in_report: bool = Field(
        False, description="also print the 数据说明 at the report's end (always in office_note.txt)"
    )

    @field_validator("paragraphs")
    @classmethod
    def _not_blank(cls, paragraphs: dict[str, str]) -> dict[str, str]:
        for name, text in paragraphs.items():
            if not text.strip():
                raise ValueError(f"段落“{name}”为空")
        return {name: text.strip() for name, text in paragraphs.items()}


def _require_unique(field: str, entries: tuple[Village | Clinic, ...], what: str) -> None:
    """Codes, and names and aliases as matching sees them (folded), each name one entry only."""
    from transforms.vocabulary import fold  # transforms import this module: import late

    codes: dict[str, int] = {}
    labels: dict[str, int] = {}
    for i, entry in enumerate(entries):
        if entry.code in codes:
            raise ValueError(
                f"{field}.{i}.code：{what}代码“{entry.code}”与 {field}.{codes[entry.code]} 重复，"
                "每个代码只能用一次"
            )
        codes[entry.code] = i
        for key, label in (("name", entry.name), *(("aliases", a) for a in entry.aliases)):
            folded = fold(label)
            j = labels.get(folded, i)
            if j != i:
                raise ValueError(
                    f"{field}.{i}.{key}：“{label}”已是 {field}.{j}（{entries[j].name}）"
                    "的名称或别名，一个名称只能指一个单位"
                )
            labels[folded] = i


class TownshipConfig(_Strict):
    township: Township
    congress: Congress
    period: Period
    cutoff_date: dt.date | None = Field(
        None, description="the report's cut-off date R; default: the run's date"
    )
    villages: tuple[Village, ...] = Field(min_length=1)
    clinics: tuple[Clinic, ...] = ()
    required_kinds: tuple[FileKind, ...] = ("roster", "publicity", "grid")
    submission_deadline: dt.date | None = Field(
        None, description="last 填报日期 on time for a required file; default: the cut-off date"
    )
    coverage_target_pct: float = Field(90.0, ge=0, le=100)
    vocabulary: VocabularyAdditions = Field(default_factory=VocabularyAdditions)
    unknown_share_max_pct: float = Field(
        5.0,
        ge=0,
        le=100,
        description="unknown values of a column above this share of its ledger's rows stop the "
        "report (unknown_values.csv): a figure that far short is not published",
    )
    reserve_quotas: dict[str, dict[ReserveItemCode, NonNegativeInt]] = Field(
        default_factory=dict,
        description="clinic code -> item -> quota; a clinic's own 储备定额 note takes precedence",
    )
    report: ReportOptions = Field(default_factory=ReportOptions)
    demo: bool = Field(
        False, description="the fictional demo township: the only one allowed the published key"
    )
    person_key_env: str = Field(
        "EPIREPORT_PERSON_KEY", description="environment variable holding the ID hash key"
    )
    person_key_secret_block: str | None = Field(
        None,
        description="name of a Prefect Secret block holding the key (used when the env is unset)",
    )
    max_file_mb: float = Field(50, gt=0)
    max_uncompressed_mb: float = Field(200, gt=0)
    max_cells: int = Field(
        5_000_000,
        gt=0,
        description="cells of a file, each sheet's used range (rows x columns) summed over sheets",
    )
    max_csv_line_kb: float = Field(64, gt=0, description="longest line of a CSV file")
    reader_memory_mb: int = Field(
        1024, gt=0, description="address space a reader worker may add while reading one file"
    )
    schedule: Schedule = Field(default_factory=Schedule, description="nightly run (serve)")
    paths: RunPaths | None = Field(None, description="inbox and output of scheduled runs")

    @model_validator(mode="after")
    def _unique_villages_and_clinics(self) -> TownshipConfig:
        _require_unique("villages", self.villages, "村（社区）")
        _require_unique("clinics", self.clinics, "卫生院（室）")
        return self

    @model_validator(mode="after")
    def _clinic_villages_known(self) -> TownshipConfig:
        codes = {v.code for v in self.villages}
        for i, c in enumerate(self.clinics):
            if c.village_code is not None and c.village_code not in codes:
                raise ValueError(f"clinics.{i}.village_code：“{c.village_code}”不是村（社区）代码")
        clinic_codes = {c.code for c in self.clinics}
        for code in self.reserve_quotas:
            if code not in clinic_codes:
                raise ValueError(f"reserve_quotas.{code}：不是卫生院（室）代码")
        return self

    @model_validator(mode="after")
    def _cutoff_inside_period(self) -> TownshipConfig:
        if self.cutoff_date is not None and self.cutoff_date < self.period.start:
            raise ValueError(
                f"cutoff_date：截止日期 {self.cutoff_date} 早于 period.start {self.period.start}"
            )
        return self

    def cutoff(self, run_date: dt.date) -> dt.date:
        """The cut-off date R: the configured one, else the run's date."""
        return self.cutoff_date or run_date

    def deadline(self, run_date: dt.date) -> dt.date:
        """The submission deadline: the configured one, else the cut-off date R."""
        return self.submission_deadline or self.cutoff(run_date)


# pydantic's error types a clerk meets in a township file, as Chinese sentences; the
# context (``ctx``) of the error fills the braces. Any other type keeps pydantic's words.
ERROR_TEXTS: dict[str, str] = {
    "missing": "缺少此项，必须填写",
    "extra_forbidden": "没有这一项，请检查拼写或删去",
    "greater_than_equal": "不能小于 {ge}",
    "greater_than": "必须大于 {gt}",
    "less_than_equal": "不能大于 {le}",
    "less_than": "必须小于 {lt}",
    "string_too_short": "至少 {min_length} 个字",
    "too_short": "至少要有 {min_length} 项",
    "string_pattern_mismatch": "格式不对（只能用字母、数字和连字符）",
    "literal_error": "只能是以下之一：{expected}",
    "int_parsing": "须是整数",
    "int_from_float": "须是整数",
    "float_parsing": "须是数字",
    "bool_parsing": "须是 true 或 false",
    "date_from_datetime_parsing": "须是日期，写作 2022-12-20",
    "date_parsing": "须是日期，写作 2022-12-20",
    "date_type": "须是日期，写作 2022-12-20",
    "string_type": "须是文字",
    "dict_type": "须是“键: 值”的映射",
    "list_type": "须是列表",
    "tuple_type": "须是列表",
}


def _message(error: dict) -> str:
    template = ERROR_TEXTS.get(error["type"])
    if template is None:
        return error["msg"].removeprefix("Value error, ")
    try:
        return template.format(**error.get("ctx", {}))
    except (KeyError, IndexError):
        return error["msg"]


def _describe(err: ValidationError, path: Path) -> str:
    """One line naming every offending field, e.g. ``villages.3.code：格式不对…``.

    Validators of a whole model name the field in their message (their location is empty);
    pydantic's "Value error, " prefix is left out.
    """
    problems = []
    for e in err.errors():
        where = ".".join(str(p) for p in e["loc"])
        message = _message(e)
        problems.append(f"{where}：{message}" if where else message)
    return f"{path}：配置文件有误：" + "；".join(problems)


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, except that a key written twice in one mapping is an error:
    the plain loader keeps the last value silently, so a pasted block would win unseen."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[Hashable] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                continue
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"键“{key}”重复出现，只能写一次", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _validated(model: type[ModelT], path: Path) -> ModelT:
    """Read a YAML mapping and validate it as ``model``; each error is one line naming the field."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{path}：这是文件夹，不是配置文件；请用 --config 指定 .yaml 文件")
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except FileNotFoundError as e:
        raise ConfigError(f"{path}：找不到配置文件，请检查路径") from e
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        where = f"（第 {mark.line + 1} 行，第 {mark.column + 1} 列）" if mark else ""
        raise ConfigError(f"{path}：无法读取配置文件：{e.problem}{where}") from e
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}：无法读取配置文件：不是 UTF-8 编码的文本") from e
    except (OSError, yaml.YAMLError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else type(e).__name__
        raise ConfigError(f"{path}：无法读取配置文件：{reason}") from e
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}：配置文件须是 YAML 映射（键: 值）")
    try:
        return model.model_validate(raw)
    except ValidationError as e:
        raise ConfigError(_describe(e, path)) from e


# How far past the run date a cut-off may lie before it reads as a typing slip in the year.
CUTOFF_AHEAD_LIMIT = dt.timedelta(days=366)


def check_run_date(config: TownshipConfig, run_date: dt.date, path: Path) -> None:
    """Refuse a run before its cut-off date: its figures would count days not yet lived.

    A cut-off more than a year ahead is named as such, since it is most often a wrong year.
    """
    if config.cutoff_date is None or config.cutoff_date <= run_date:
        return
    if config.cutoff_date - run_date > CUTOFF_AHEAD_LIMIT:
        raise ConfigError(
            f"{path}：cutoff_date：截止日期 {config.cutoff_date} 比运行日期 {run_date} 晚一年以上，"
            "请检查年份"
        )
    raise ConfigError(
        f"{path}：cutoff_date：运行日期 {run_date} 早于截止日期 {config.cutoff_date}；"
        "请在截止日期当天或之后运行，或用 --run-date 指定运行日期"
    )


def resolve_villages(config: TownshipConfig, names: Iterable[str], option: str) -> list[str]:
    """Village names or aliases given on the command line, as the config names them."""
    canonical = {n: v.name for v in config.villages for n in (v.name, *v.aliases)}
    unknown = [n for n in names if n not in canonical]
    if unknown:
        raise ConfigError(
            f"{option}：“{'、'.join(unknown)}”不是{config.township.name}的村（社区）；"
            f"可用的名称：{'、'.join(v.name for v in config.villages)}"
        )
    return [canonical[n] for n in names]


def load_config(path: Path) -> TownshipConfig:
    """Read and validate a township file; errors name the offending field."""
    from transforms.township_vocabulary import township_vocabulary

    config = _validated(TownshipConfig, path)
    township_vocabulary(config, str(path))
    return config


class CountyTownship(_Strict):
    """One township of a county run: its own config file and its sub-folder of the inbox."""

    config: Path = Field(description="the township's config file, relative to the county file")
    inbox: str = Field(min_length=1, description="its sub-folder of the county inbox")


class County(_Strict):
    code: str = Field(pattern=r"^[a-z0-9-]{2,40}$")
    name: str = Field(min_length=2)


class CountyConfig(_Strict):
    """Several townships run together (a county), each with its own township file."""

    county: County
    townships: tuple[CountyTownship, ...] = Field(min_length=1)
    schedule: Schedule = Field(default_factory=Schedule, description="nightly run (serve)")
    paths: RunPaths | None = Field(None, description="inbox and output of scheduled runs")

    @field_validator("townships")
    @classmethod
    def _distinct(cls, townships: tuple[CountyTownship, ...]) -> tuple[CountyTownship, ...]:
        for label, values in (("inbox", [t.inbox for t in townships]),
                              ("config", [t.config for t in townships])):  # fmt: skip
            if len(set(values)) != len(values):
                raise ValueError(f"两个乡镇的 {label} 相同，每个乡镇须各用一个")
        return townships


def load_county(
    path: Path,
) -> tuple[CountyConfig, list[tuple[CountyTownship, Path, TownshipConfig]]]:
    """The county file and, per township, its entry, config path (resolved) and config."""
    path = Path(path)
    county = _validated(CountyConfig, path)
    townships = []
    for entry in county.townships:
        township_path = (path.parent / entry.config).resolve()
        townships.append((entry, township_path, load_config(township_path)))
    if len({t.cutoff_date for _, _, t in townships}) > 1:
        raise ConfigError(f"{path}：townships：各乡镇配置文件的 cutoff_date 须相同")
    codes = [t.township.code for _, _, t in townships]
    if len(set(codes)) != len(codes):
        raise ConfigError(f"{path}：townships：两个乡镇配置文件的 township.code 相同")
    return county, townships
