"""What personal data looks like, for the scans of every output, and an inbox that plants
it everywhere: full IDs, mobile numbers and residents' names in every column of every kind
(shifted columns), in file and sheet names, title rows and footers, and in a CSV the
parser cannot read."""

from __future__ import annotations

import datetime as dt
import random
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from spreadsheets import write_xlsx

from transforms.vocabulary import HEADER_ALIASES, KIND_LABELS

FULL_ID = re.compile(
    r"(?<![0-9])[1-9][0-9]{5}(19|20)[0-9]{2}(0[1-9]|1[0-2])[0-9]{5}[0-9Xx](?![0-9])"
)
# Not inside a longer run of letters and digits: hex file ids and hashes hold digit runs too.
PHONE = re.compile(r"(?<![0-9A-Za-z])1[3-9][0-9]{9}(?![0-9A-Za-z])")

# GB 11643, computed here independently of transforms/ids.py.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余"
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文玉兰红梅辉鹏飞斌宇浩凯健俊晨欣怡婷雪琳"
)
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―－]")


def valid_id(area: str, birth: dt.date, sequence: int) -> str:
    first17 = f"{area}{birth:%Y%m%d}{sequence:03d}"
    return (
        first17
        + "10X98765432"[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]
    )


def squash(text: str) -> str:
    """The form a planted value is searched in: NFKC, no spaces or hyphens, upper case."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()


@dataclass(frozen=True)
class Planted:
    """The personal values an inbox holds, in the form they are searched for."""

    ids: frozenset[str]
    phones: frozenset[str]
    names: frozenset[str]

    def found_in(self, text: str) -> set[str]:
        """Every planted value ``text`` holds in full (IDs and phones in any spacing)."""
        flat = squash(text)
        digits = {v for v in self.ids | self.phones if v in flat}
        return digits | {n for n in self.names if n in text}


# A valid value for each field, so that the planted value is the row's only oddity.
VALID: dict[str, str] = {
    "group": "一组", "name": "", "id_number": "", "sex": "男", "birth": "1990-01-01",
    "phone": "", "status": "在家", "relation": "户主", "site": "白沙镇卫生院", "dose": "1",
    "vaccine": "北京生物", "vaccinated_on": "2022-03-05", "mode": "门诊", "village": "石门村",
    "activity_on": "2022-03-05", "kind": "横幅", "quantity": "3", "place": "村部",
    "pushed_on": "2022-03-05", "source": "省大数据中心", "result": "已落实",
    "measure": "居家健康监测", "completed_on": "2022-03-06", "grid_code": "G01",
    "grid_leader": "", "grid_workers": "3", "households": "100", "visited_households": "90",
    "visited_on": "2022-03-05", "persons_checked": "250", "inspected_on": "2022-03-05",
    "place_name": "石门农贸市场", "place_type": "农贸市场", "problems_found": "1",
    "rectification": "已整改", "held_on": "2022-03-05", "title": "全镇疫情防控工作部署会",
    "meeting_type": "部署会", "doc_number": "白政发〔2022〕1号", "taking_part": "是",
    "stage": "启动", "party_members": "10", "volunteers": "20", "unit": "白沙镇卫生院",
    "reported_on": "2022-03-05", "beds": "10", "fever_rooms": "1",
    "oxygen_concentrators": "2", "oximeters": "5", "antipyretic_boxes": "100",
    "antigen_tests": "500", "quota_note": "抗原检测试剂：1000",
}  # fmt: skip


class _Values:
    """Fresh planted values, each in one of the forms clerks type."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.ids: set[str] = set()
        self.phones: set[str] = set()
        self.names: set[str] = set()

    def id(self) -> str:
        birth = dt.date(1940, 1, 1) + dt.timedelta(days=self.rng.randrange(25000))
        value = valid_id(f"4301{self.rng.randrange(10, 99)}", birth, self.rng.randrange(1000))
        self.ids.add(value)
        spaced = f"{value[:6]} {value[6:14]} {value[14:]}"
        forms = (value, value.lower(), unicodedata.normalize("NFKC", value), spaced,
                 "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in value),
                 f"{value[:6]}-{value[6:14]}-{value[14:]}")  # fmt: skip
        return self.rng.choice(forms)

    def phone(self) -> str:
        value = f"1{self.rng.choice('3456789')}{self.rng.randrange(10**9):09d}"
        self.phones.add(value)
        forms = (value, f"+86 {value}", f"{value[:3]} {value[3:7]} {value[7:]}",
                 f"{value[:3]}-{value[3:7]}-{value[7:]}", f"+86-{value}")  # fmt: skip
        return self.rng.choice(forms)

    def name(self) -> str:
        while True:
            given = "".join(self.rng.choices(GIVEN, k=self.rng.choice((1, 2))))
            value = self.rng.choice(SURNAMES) + given
            if value not in self.names:
                self.names.add(value)
                return value

    def any(self, which: int) -> str:
        return (self.id, self.phone, self.name)[which % 3]()

    def planted(self) -> Planted:
        return Planted(frozenset(self.ids), frozenset(self.phones), frozenset(self.names))


def plant_inbox(inbox: Path, seed: int = 13) -> Planted:
    """One workbook per kind under ``inbox``, plus a CSV the parser refuses; returns what was
    planted. Each kind's sheet has one row per field and kind of value: the value stands in
    that field, every other field holds a valid value."""
    values = _Values(seed)
    for kind, fields in HEADER_ALIASES.items():
        header = [aliases[0] for aliases in fields.values()]
        rows: list[list[object]] = [
            [f"石门村{KIND_LABELS[kind]}（联系人{values.name()}，{values.phone()}）"],
            ["填报单位：石门村"],
            header,
        ]
        for column in range(len(fields)):
            for which in range(3):
                row = [
                    values.any(which) if i == column else VALID[f] or values.any(i)
                    for i, f in enumerate(fields)
                ]
                rows.append(row)
        rows.append([f"制表人：{values.name()}  电话：{values.phone()}  身份证：{values.id()}"])
        sheet = f"{values.name()}{squash(values.id())}"
        name = f"{values.name()}{squash(values.phone())}{KIND_LABELS[kind]}.xlsx"
        write_xlsx(inbox / "planted" / name, {sheet: rows, "一组": rows[2:5]})
    header = ",".join(aliases[0] for aliases in HEADER_ALIASES["vaccination"].values())
    good = f"白沙镇卫生院,{values.name()},{squash(values.id())},1"
    # An unclosed quote: the CSV parser's own message quotes the raw line.
    bad = f'"{values.name()},{squash(values.id())},{squash(values.phone())}'
    broken = f"{header}\n{good}\n{bad}\n"
    (inbox / "planted" / f"{values.name()}接种.csv").write_text(broken, encoding="utf-8")
    return values.planted()


def raw_text(inbox: Path) -> str:
    """Everything the inbox holds as text: file names, CSV bytes, the XML inside workbooks."""
    parts = []
    for path in sorted(p for p in inbox.rglob("*") if p.is_file()):
        parts.append(path.relative_to(inbox).as_posix())
        if path.suffix == ".xlsx" and zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as book:
                parts += [book.read(n).decode("utf-8", errors="replace") for n in book.namelist()]
        else:
            parts.append(path.read_bytes().decode("utf-8", errors="replace"))
    return "\n".join(parts)
