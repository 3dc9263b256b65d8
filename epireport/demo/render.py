"""Renders the plan into the files villages and clinics actually hand in.

Each file kind has its own layout habits: title and 填报单位 lines, per-group
sheets, header aliases, footers, mixed date and quantity spellings, ID numbers
typed every which way. Rows the pipeline must refuse are added here as extra
noise (never carrying a fact the truth needs) and logged with their reason.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
from dataclasses import replace
from pathlib import Path

from epireport.config import FileKind
from epireport.demo import people
from epireport.demo.inbox import DemoFile, RefusedRow
from epireport.demo.plan import DAY, DoseRecord, Person, Plan, PublicityRow
from epireport.demo.writers import (
    XLS_MAX_ROWS,
    XLSX_MAX_ROWS,
    Cell,
    DateCell,
    FloatId,
    Formula,
    Serial,
    SheetBuilder,
    write_csv,
    write_xls,
    write_xlsx,
)

STATUS_LABELS = {
    "at_home": (("在家", 80), ("在村", 8), ("常住", 7), ("居家", 5)),
    "away_work": (("外出务工", 70), ("外出打工", 20), ("务工", 10)),
    "away_study": (("外出就学", 60), ("外出读书", 25), ("在外读书", 15)),
    "away": (("外出", 70), ("在外", 30)),
    "deceased": (("死亡", 60), ("已故", 20), ("去世", 10), ("已死亡", 10)),
    "moved_out": (("迁出", 60), ("已迁出", 25), ("户口迁出", 15)),
}
PUBLICITY_LABELS = {
    "broadcast": ("宣传片/宣传画/宣传标语刊播", "宣传片、宣传画、宣传标语刊播", "滚动刊播", "刊播"),
    "poster": ("宣传画张贴", "张贴宣传画", "宣传画"),
    "banner": ("横幅", "悬挂横幅", "宣传横幅"),
    "leaflet": ("宣传单", "派发宣传单", "宣传单张"),
    "audio": ("广播音频", "广播", "大喇叭", "播放广播音频"),
    "talk": ("入户宣讲", "基层宣讲", "宣讲", "入户宣传"),
}
PUBLICITY_UNITS = {
    "broadcast": "次",
    "poster": "张",
    "banner": "条",
    "leaflet": "张",
    "audio": "条次",
    "talk": "人次",
}
# How each file spells doses 1, 2, booster, and a sequential (heterologous) booster.
DOSE_STYLES = {
    "export": ("第1剂", "第2剂", "第3剂", "序贯加强"),
    "digits": ("1", "2", "3", "3"),
    "chinese": ("第一剂", "第二剂", "加强免疫", "序贯加强"),
    "needles": ("第1针", "第2针", "加强针", "加强针"),
    "village": ("第一针", "第二针", "加强针", "序贯加强"),
}
RosterEntry = tuple[Person, int, str, str, bool]  # person, group, status, relation, 15-digit?
CSV_EXPORT_ROWS = 400_000
EXPORT_FIELDS = ("序号", "接种单位", "受种者姓名", "受种者身份证号", "接种剂次", "疫苗名称",
                 "接种日期", "接种方式", "所属村")  # fmt: skip
EXPORT_NOISE = ("date_impossible", "date_future", "date_before_start", "dose_unknown",
                "village_unknown")  # fmt: skip
UNKNOWN_VILLAGES = ("红星村", "红旗村", "光明村", "胜利村")
CSV_ENCODINGS = ("utf-8", "gbk", "utf-8-sig", "gb18030")
_FULLWIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
_CN_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1..99 in Chinese numerals, as group names are written (十二组)."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _CN_DIGITS[ones]
    head = "" if tens == 1 else _CN_DIGITS[tens]
    return head + "十" + (_CN_DIGITS[ones] if ones else "")


def date_text(day: dt.date, style: str) -> Cell:
    """A date as one of the spellings clerks use, or as a real cell."""
    if style == "iso":
        return day.isoformat()
    if style == "slash":
        return f"{day.year}/{day.month}/{day.day}"
    if style == "dot":
        return f"{day.year}.{day.month}.{day.day}"
    if style == "cn":
        return f"{day.year}年{day.month}月{day.day}日"
    if style == "compact":
        return f"{day:%Y%m%d}"
    if style == "serial":
        return Serial(day)
    if style == "cell_cn":
        return DateCell(day, 'yyyy"年"m"月"d"日"')
    return DateCell(day)


class Renderer:
    """Writes every file of the inbox and keeps the manifest."""

    def __init__(self, plan: Plan, out_dir: Path) -> None:
        self.plan = plan
        self.out = out_dir
        self.rng = random.Random(f"{plan.seed}-render")
        self.files: list[DemoFile] = []
        self.persons = plan.persons
        self.town = plan.config.township.name
        labels_in_use = [label for v in plan.villages for label in (v.code, v.name, *v.aliases)]
        self.unknown_village = next(
            name for name in UNKNOWN_VILLAGES if not any(name[:2] in x for x in labels_in_use)
        )
        self.report_day = plan.cutoff - 2 * DAY

    # --- small helpers -------------------------------------------------------------------

    def label(self, village: int, canonical: float = 0.6) -> str:
        """The village as a clerk writes it: its name or one of its aliases."""
        v = self.plan.villages[village]
        if not v.aliases or self.rng.random() < canonical:
            return v.name
        return self.rng.choice(v.aliases)

    def unit_label(self, village: int) -> str:
        """The 填报单位 form: usually the committee's name."""
        v = self.plan.villages[village]
        committees = [a for a in v.aliases if a.endswith(("委会", "委员会"))]
        return self.rng.choice(committees or [v.name])

    def status_label(self, status: str, quirks: set[str]) -> str:
        """A 居住状态 value, in one of the spellings the vocabulary knows."""
        options = STATUS_LABELS[status]
        text = self.rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]
        if self.rng.random() < 0.003:
            quirks.add("stray_spaces_in_values")
            return f" {text} "
        return text

    def id_cell(self, p: Person, legacy: bool, quirks: set[str], rate: float) -> str:
        """The ID as typed: 15-digit legacy form, lower-case x, full-width, spaces, hyphens."""
        text = people.id15_from_id18(p.id18) if legacy else p.id18
        if legacy:
            quirks.add("id_15_digit_legacy")
        r = self.rng.random()
        if text.endswith("X") and r < 0.3:
            quirks.add("id_lowercase_x")
            return text[:-1] + "x"
        if r >= rate:
            return text
        how = self.rng.choice(("fullwidth", "spaces", "hyphens"))
        quirks.add(f"id_{how}")
        if how == "fullwidth":
            return text.translate(_FULLWIDTH)
        sep = " " if how == "spaces" else "-"
        return sep.join((text[:6], text[6:-4], text[-4:]))

    def phone_cell(self, phone: str, excel: bool, quirks: set[str]) -> Cell:
        """A phone number, sometimes typed as a number cell."""
        if phone and excel and self.rng.random() < 0.3:
            quirks.add("phone_as_number")
            return int(phone)
        return phone or None

    def header(self, names: list[str], quirks: set[str], noted: tuple[str, ...] = ()) -> list[Cell]:
        """Header cells with the odd stray space, full-width note or (必填)."""
        cells: list[Cell] = []
        for name in names:
            r = self.rng.random()
            if name in noted and r < 0.5:
                quirks.add("header_note")
                cells.append(name + self.rng.choice(("（必填）", "(必填)", "*")))
            elif len(name) == 2 and r < 0.15:
                quirks.add("header_stray_space")
                cells.append(name[0] + self.rng.choice((" ", "\u3000", "  ")) + name[1])
            elif r < 0.05:
                quirks.add("header_stray_space")
                cells.append(f" {name} ")
            else:
                cells.append(name)
        return cells

    def footer(self, sheet: SheetBuilder, day: dt.date, width: int) -> None:
        """The 制表人 and 填报日期 lines under a table."""
        maker = people.person_name(dt.date(1980, 1, 1), self.rng.random() < 0.5, self.rng)
        sheet.line([f"制表人:{maker}"] + [None] * (width - 1))
        sheet.line([f"填报日期:{day.year}年{day.month}月{day.day}日"] + [None] * (width - 1))

    def noise_person(self, reason: str) -> tuple[str, Cell, dt.date]:
        """Name, ID cell and birth date of a row that must be refused for ``reason``."""
        rng, ids = self.rng, self.plan.ids
        birth = people.birth_for_age(rng.randint(20, 80), self.plan.cutoff, rng)
        male = rng.random() < 0.5
        name = people.person_name(birth, male, rng)
        if reason == "id_missing":
            return name, None, birth
        if reason == "id_birth_date":
            return name, ids.allocate_invalid_birth(people.AREA_HOME, male), birth
        while True:
            valid = ids.allocate(people.AREA_HOME, birth, male)
            if reason == "id_check_digit":
                wrong = "0123456789X".replace(valid[-1], "")
                return name, valid[:-1] + rng.choice(wrong), birth
            # A float keeps ~16 digits: make sure what a reader gets back is no valid ID.
            if valid[-1] != "X":
                back = str(int(float(valid)))
                if len(back) != 18 or people.check_digit(back[:17]) != back[-1]:
                    return name, FloatId(valid), birth

    def emit(
        self,
        path: str,
        kind: FileKind | None,
        fmt: str,
        sheets: list[SheetBuilder],
        quirks: set[str],
        *,
        encoding: str | None = None,
        delimiter: str = ",",
        village: int | None = None,
        refused: str | None = None,
    ) -> DemoFile:
        """Write one file and record it in the manifest."""
        target = self.out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            raise FileExistsError(f"demo file written twice: {path}")
        if fmt == "xlsx":
            write_xlsx(target, sheets)
        elif fmt == "xls":
            write_xls(target, sheets)
        else:
            write_csv(target, sheets[0], encoding or "utf-8", delimiter)
            quirks.add(f"csv_{encoding.replace('-', '_')}")
            if delimiter == "\t":
                quirks.add("csv_tab_separated")
        if any(s.merges for s in sheets) and fmt != "csv":
            quirks.add("merged_title")
        refused_rows = [
            RefusedRow(None if fmt == "csv" else s.name, row, reason)
            for s in sheets
            for row, reason in s.refused
        ]
        entry = DemoFile(
            path=path,
            kind=kind,
            format=fmt,
            encoding=encoding if fmt == "csv" else None,
            delimiter=delimiter if fmt == "csv" else None,
            quirks=sorted(quirks),
            data_rows=sum(s.data_rows for s in sheets),
            refused_rows=refused_rows,
            refused=refused,
            village=None if village is None else self.plan.villages[village].code,
        )
        self.files.append(entry)
        return entry

    # --- rosters -------------------------------------------------------------------------

    def roster_entries(self) -> dict[int, dict[int, list[RosterEntry]]]:
        """Roster lines per village and group, in household order."""
        villages: dict[int, dict[int, list[RosterEntry]]] = {}
        for p in self.persons:
            if p.on_roster:
                groups = villages.setdefault(p.village, {})
                groups.setdefault(p.group, []).append(
                    (p, p.group, p.status, p.relation, p.legacy15)
                )
            if p.second_village >= 0:
                # Listed there too, by a clerk who typed the full 18 digits.
                groups = villages.setdefault(p.second_village, {})
                line = (p, p.second_group, p.second_status, "其他", False)
                groups.setdefault(p.second_group, []).append(line)
        for groups in villages.values():
            for members in groups.values():
                members.sort(key=lambda m: (m[0].household, m[3] != "户主", m[0].pid))
        return {v: dict(sorted(groups.items())) for v, groups in villages.items()}

    def render_rosters(self) -> None:
        """One roster per village: formats, naming and sheet layout vary by village."""
        n = len(self.plan.villages)
        entries = self.roster_entries()
        noise = {
            0: ["id_check_digit"],
            2: ["id_birth_date"],
            4: ["id_excel_float"],
            5: ["id_check_digit", "id_missing"],
            8: ["id_excel_float"],
            9: ["id_check_digit"],
            11: ["id_birth_date"],
            13: ["id_missing"],
        }
        formats = ("xlsx", "xls", "xlsx", "csv", "xlsx", "xls", "csv", "xlsx", "csv", "xls")
        shared = 0
        for village in range(n):
            fmt = formats[village % len(formats)]
            naming = ("title", "unit", "title_unit", "name")[village % 4]
            per_group = fmt != "csv" and village % 3 != 2
            quirks: set[str] = {f"village_in_{naming}"}
            name = self.plan.villages[village].name
            label = self.label(village)
            if naming == "name":
                if village % 8 < 4:
                    path = f"各村上报/{label}/花名册(最终版)(1).{fmt}"
                else:
                    path = f"各村上报/微信群文件/{label}人口花名册2022.12.{fmt}"
            elif village % 5 == 1:
                shared += 1
                path = f"各村上报/微信群文件/常住人口花名册({shared}).{fmt}"
            else:
                stem = self.rng.choice(
                    ("花名册(最终版)(1)", "常住人口花名册", "村民花名册（更新）")
                )
                path = f"各村上报/{name}/{name}{stem}.{fmt}"
            title = f"{self.label(village, 0.8)}常住人口花名册" if "title" in naming else None
            if naming == "name" and village % 2:
                title = "常住人口花名册"
            unit = f"填报单位:{self.unit_label(village)}" if "unit" in naming else None
            groups = entries.get(village, {})
            planted = [
                reason for k, reasons in noise.items() if k % n == village for reason in reasons
            ]
            if per_group:
                sheets = []
                if village % 2 == 0:
                    sheets.append(self.instruction_sheet())
                    quirks.add("instruction_sheet")
                group_items = list(groups.items())
                for k, (group, members) in enumerate(group_items):
                    extra = planted if k == len(group_items) // 2 else []
                    sheets.append(
                        self.roster_sheet(
                            f"{cn_number(group)}组",
                            title,
                            unit,
                            members,
                            extra,
                            fmt,
                            quirks,
                            with_group=False,
                        )
                    )
                quirks.add("sheet_per_group")
            else:
                members = [m for group in groups.values() for m in group]
                sheets = [
                    self.roster_sheet("花名册", title, unit, members, planted, fmt, quirks, True)
                ]
            encoding = CSV_ENCODINGS[village % len(CSV_ENCODINGS)] if fmt == "csv" else None
            self.emit(path, "roster", fmt, sheets, quirks, encoding=encoding, village=village)
        self.render_unknown_village_roster()

    def instruction_sheet(self) -> SheetBuilder:
        """A 填表说明 sheet, which readers must skip."""
        sheet = SheetBuilder("填表说明")
        for text in (
            "填表说明",
            "1. 身份证号码请填写18位,以文本格式录入;",
            "2. 居住状态填写:在家/外出务工/外出就学/外出/死亡/迁出;",
            "3. 每个村民小组填写一个工作表,请勿合并单元格。",
        ):
            sheet.line([text])
        return sheet

    def roster_sheet(
        self,
        sheet_name: str,
        title: str | None,
        unit: str | None,
        members: list[RosterEntry],
        planted: list[str],
        fmt: str,
        quirks: set[str],
        with_group: bool,
    ) -> SheetBuilder:
        """One roster sheet: title/unit lines, header, people, refused noise, footer."""
        rng = self.rng
        excel = fmt != "csv"
        fields = ["序号"] + (["组别"] if with_group else [])
        id_header = rng.choice(("身份证号码", "身份证号码", "身份证号", "公民身份号码", "证件号码"))
        fields += [
            rng.choice(("姓名", "姓名", "居民姓名", "名字")),
            "性别",
            id_header,
            rng.choice(("出生日期", "出生年月")),
            rng.choice(("联系电话", "手机号码", "电话")),
            rng.choice(("与户主关系", "关系")),
            rng.choice(("居住状态", "现居住状态", "在家情况", "人员状态")),
        ]
        width = len(fields)
        sheet = SheetBuilder(sheet_name)
        if title:
            sheet.title(title if sheet_name == "花名册" else f"{title}（{sheet_name}）", width)
        if unit:
            sheet.line([unit] + [None] * (width - 1))
        if rng.random() < 0.3 and (title or unit):
            sheet.line([None] * width)
            quirks.add("blank_rows")
        sheet.line(self.header(fields, quirks, noted=(id_header, fields[-1])))
        styles = (
            ("cell", "cell", "cell_cn", "iso", "slash", "dot", "cn", "serial")
            if excel
            else ("iso", "iso", "slash", "dot", "cn", "compact")
        )
        blank_at = len(members) // 3 if rng.random() < 0.3 else -1
        noise_at = {len(members) * (k + 1) // (len(planted) + 1): r for k, r in enumerate(planted)}
        for i, (p, group, status, relation, legacy) in enumerate(members):
            if i == blank_at:
                sheet.line([None] * width)
                quirks.add("blank_rows")
            if i in noise_at:
                self.roster_noise_row(sheet, noise_at[i], with_group, group)
            style = rng.choice(styles)
            if style in ("cell", "cell_cn", "serial"):
                quirks.add("excel_serial_dates" if style == "serial" else "excel_date_cells")
            cells: list[Cell] = [i + 1] + ([f"{cn_number(group)}组"] if with_group else [])
            cells += [
                p.name,
                "男" if people.is_male(p.id18) else "女",
                self.id_cell(p, legacy, quirks, 0.02),
                date_text(p.birth, style),
                self.phone_cell(p.phone, excel, quirks),
                relation,
                self.status_label(status, quirks),
            ]
            sheet.data(cells)
        count = len(members)
        sheet.line(["合计", f"{count}人"] + [None] * (width - 2))
        quirks.add("total_row")
        self.footer(sheet, self.report_day, width)
        return sheet

    def roster_noise_row(
        self, sheet: SheetBuilder, reason: str, with_group: bool, group: int
    ) -> None:
        """A person row whose ID must be refused for ``reason``."""
        name, id_value, birth = self.noise_person(reason)
        cells: list[Cell] = [None] + ([f"{cn_number(group)}组"] if with_group else [])
        birth_cell: Cell = None if reason == "id_birth_date" else date_text(birth, "iso")
        cells += [name, "男", id_value, birth_cell, None, "其他", "在家"]
        sheet.data(cells, refused=reason)

    def render_unknown_village_roster(self) -> None:
        """A roster whose title, unit and name name no known village: refused whole."""
        quirks: set[str] = {"unknown_village"}
        fields = ["序号", "姓名", "性别", "身份证号码", "出生日期", "联系电话", "居住状态"]
        sheet = SheetBuilder("Sheet1")
        sheet.title(f"{self.unknown_village}常住人口花名册", len(fields))
        sheet.line([f"填报单位:{self.unknown_village}委会"] + [None] * (len(fields) - 1))
        sheet.line(fields)
        for i in range(40):
            birth = people.birth_for_age(self.rng.randint(1, 90), self.plan.cutoff, self.rng)
            male = self.rng.random() < 0.5
            id18 = self.plan.ids.allocate(people.AREA_HOME, birth, male)
            name = people.person_name(birth, male, self.rng)
            cells: list[Cell] = [
                i + 1,
                name,
                "男" if male else "女",
                id18,
                birth.isoformat(),
                people.phone_number(self.rng),
                "在家",
            ]
            sheet.data(cells)
        self.footer(sheet, self.report_day, len(fields))
        self.emit(
            "各村上报/新建文件夹/常住人口花名册(2).xlsx",
            "roster",
            "xlsx",
            [sheet],
            quirks,
            refused="village_unknown",
        )

    # --- publicity -----------------------------------------------------------------------

    def quantity_cell(self, row: PublicityRow, excel: bool, xlsx: bool, quirks: set[str]) -> Cell:
        """A quantity as clerks write it: 500, 1,200, 500张, 约300 or a formula."""
        rng, q = self.rng, row.quantity
        r = rng.random()
        if xlsx and r < 0.08 and q >= 2:
            quirks.add("formula_cells")
            a = rng.randint(1, q - 1)
            return Formula(f"={a}+{q - a}", q)
        if q % 100 == 0 and r < 0.3:
            quirks.add("quantity_approx")
            return f"约{q}"
        if q >= 1000 and r < 0.45:
            quirks.add("quantity_thousands_comma")
            return f"{q:,}"
        if r < 0.5:
            quirks.add("quantity_with_unit")
            return f"{q}{PUBLICITY_UNITS[row.kind]}"
        return q if excel else str(q)

    def publicity_sheet(
        self,
        village: int,
        rows: list[PublicityRow],
        fmt: str,
        naming: str,
        quirks: set[str],
        noise: list[str],
        reported: dt.date,
        corrected: bool = False,
    ) -> SheetBuilder:
        """A village's publicity log, with a 合计 row that must not be counted."""
        rng = self.rng
        excel = fmt != "csv"
        fields = [
            "序号",
            rng.choice(("日期", "日期", "开展日期", "时间")),
            rng.choice(("宣传形式", "宣传形式", "宣传方式", "类别")),
            rng.choice(("数量", "数量", "次数", "份数")),
            rng.choice(("地点", "宣传地点")),
            "备注",
        ]
        width = len(fields)
        sheet = SheetBuilder("宣传台账")
        suffix = "（更正）" if corrected else ""
        if "title" in naming:
            sheet.title(f"{self.label(village, 0.8)}疫情防控宣传工作台账{suffix}", width)
        elif naming == "name":
            sheet.title(f"疫情防控宣传工作台账{suffix}", width)
        if "unit" in naming:
            sheet.line([f"填报单位:{self.unit_label(village)}"] + [None] * (width - 1))
        sheet.line(self.header(fields, quirks, noted=(fields[1], fields[3])))
        labels = {k: rng.choice(v) for k, v in PUBLICITY_LABELS.items()}
        date_styles = (
            ("cell", "cell", "iso", "slash", "dot", "cn")
            if excel
            else ("iso", "slash", "dot", "cn", "compact")
        )
        noise_at = {len(rows) * (k + 1) // (len(noise) + 1): r for k, r in enumerate(noise)}
        for i, row in enumerate(rows):
            if i in noise_at:
                self.publicity_noise_row(sheet, noise_at[i], row, labels)
            style = rng.choice(date_styles)
            label = (
                labels[row.kind] if rng.random() < 0.85 else rng.choice(PUBLICITY_LABELS[row.kind])
            )
            quantity = self.quantity_cell(row, excel, fmt == "xlsx", quirks)
            sheet.data([i + 1, date_text(row.on, style), label, quantity, row.place, None])
        total = sum(r.quantity for r in rows)
        sheet.line(["合计", None, None, total, None, None])
        quirks.add("total_row")
        self.footer(sheet, reported, width)
        return sheet

    def publicity_noise_row(
        self, sheet: SheetBuilder, reason: str, near: PublicityRow, labels: dict[str, str]
    ) -> None:
        """An extra leaflet row that must be refused for ``reason``."""
        day: Cell = near.on.isoformat()
        quantity: Cell = "200"
        if reason == "quantity_negative":
            quantity = "-200"
        elif reason == "quantity_non_numeric":
            quantity = self.rng.choice(("若干", "见附件"))
        elif reason == "date_impossible":
            day = f"{near.on.year}-02-30"
        sheet.data([None, day, labels["leaflet"], quantity, "村部", None], refused=reason)

    def render_publicity(self) -> None:
        """One log per village, plus a duplicate copy and a corrected re-submission."""
        plan = self.plan
        n = len(plan.villages)
        formats = ("csv", "xlsx", "csv", "xls", "xlsx", "csv", "xlsx", "xls")
        noise = {
            2: ["quantity_negative"],
            5: ["quantity_non_numeric"],
            8: ["quantity_non_numeric"],
            10: ["date_impossible"],
        }
        duplicate = set(plan.roles["duplicate_publicity"])
        corrected = set(plan.roles["corrected_publicity"])
        for village in range(n):
            fmt = formats[village % len(formats)]
            naming = ("name", "title", "unit", "title_unit")[village % 4]
            name = plan.villages[village].name
            label = self.label(village)
            encoding = CSV_ENCODINGS[(village + 1) % len(CSV_ENCODINGS)] if fmt == "csv" else None
            delimiter = "\t" if fmt == "csv" and village % 5 == 2 else ","
            if naming == "name" and village % 8 >= 4:
                folder, stem = f"各村上报/{label}", f"{label}疫情防控宣传台账"
            elif naming == "name":
                folder, stem = "宣传台账", f"{label}宣传工作台账"
            else:
                folder, stem = "宣传台账", f"{name}宣传工作台账"
            planted = [r for k, rs in noise.items() if k % n == village for r in rs]
            planted = [] if village in duplicate | corrected else planted
            base = {f"village_in_{naming}"}
            if village in corrected:
                draft_quirks = set(base)
                sheet = self.publicity_sheet(
                    village,
                    plan.publicity_draft[village],
                    fmt,
                    naming,
                    draft_quirks,
                    [],
                    plan.cutoff - 10 * DAY,
                )
                draft = self.emit(
                    f"{folder}/{stem}.{fmt}",
                    "publicity",
                    fmt,
                    [sheet],
                    draft_quirks | {"superseded_draft"},
                    encoding=encoding,
                    delimiter=delimiter,
                    village=village,
                )
                quirks = base | {"corrected_resubmission"}
                sheet = self.publicity_sheet(
                    village,
                    plan.publicity[village],
                    fmt,
                    naming,
                    quirks,
                    [],
                    plan.cutoff - DAY,
                    corrected=True,
                )
                final = self.emit(
                    f"{folder}/{stem}(更正).{fmt}",
                    "publicity",
                    fmt,
                    [sheet],
                    quirks,
                    encoding=encoding,
                    delimiter=delimiter,
                    village=village,
                )
                self.files[self.files.index(draft)] = replace(draft, superseded_by=final.path)
                continue
            quirks = set(base)
            sheet = self.publicity_sheet(
                village, plan.publicity[village], fmt, naming, quirks, planted, self.report_day
            )
            original = self.emit(
                f"{folder}/{stem}.{fmt}",
                "publicity",
                fmt,
                [sheet],
                quirks,
                encoding=encoding,
                delimiter=delimiter,
                village=village,
            )
            if village in duplicate:
                copy = f"各村上报/{name}/{name}宣传台账 - 副本.{fmt}"
                (self.out / copy).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(self.out / original.path, self.out / copy)
                self.files.append(
                    replace(
                        original,
                        path=copy,
                        duplicate_of=original.path,
                        quirks=sorted({*original.quirks, "duplicate_submission"}),
                    )
                )

    # --- grid ----------------------------------------------------------------------------

    def render_grids(self) -> None:
        """One grid ledger per village, except the villages that never sent one."""
        plan = self.plan
        formats = ("xlsx", "csv", "xls", "xlsx", "csv")
        by_village: dict[int, list] = {}
        for row in plan.grids:
            by_village.setdefault(row.village, []).append(row)
        for village, rows in by_village.items():
            fmt = formats[village % len(formats)]
            quirks: set[str] = set()
            fields = [
                "网格编号",
                "所属村",
                "网格长",
                "网格员人数",
                "所辖户数",
                "走访户数",
                "走访日期",
                "排查人数",
            ]
            sheet = SheetBuilder("网格台账")
            sheet.title(f"{self.label(village, 0.8)}网格化管理台账", len(fields))
            sheet.line(self.header(fields, quirks, noted=("网格编号", "所辖户数")))
            for row in rows:
                households: Cell = row.households if fmt != "csv" else str(row.households)
                if fmt == "xlsx" and self.rng.random() < 0.3:
                    half = row.households // 2
                    households = Formula(f"={half}+{row.households - half}", row.households)
                    quirks.add("formula_cells")
                style = self.rng.choice(("cell", "iso", "cn") if fmt != "csv" else ("iso", "cn"))
                sheet.data(
                    [
                        row.code,
                        self.label(village),
                        row.leader,
                        row.workers,
                        households,
                        row.visited,
                        date_text(row.visited_on, style),
                        row.checked,
                    ]
                )
            sheet.line(
                [
                    "合计",
                    None,
                    None,
                    sum(r.workers for r in rows),
                    sum(r.households for r in rows),
                    sum(r.visited for r in rows),
                    None,
                    sum(r.checked for r in rows),
                ]
            )
            quirks.add("total_row")
            self.footer(sheet, self.report_day, len(fields))
            label = self.label(village)
            encoding = CSV_ENCODINGS[(village + 2) % len(CSV_ENCODINGS)] if fmt == "csv" else None
            self.emit(
                f"网格化管理/{label}网格化管理台账.{fmt}",
                "grid",
                fmt,
                [sheet],
                quirks,
                encoding=encoding,
                village=village,
            )

    # --- vaccination ---------------------------------------------------------------------

    def vaccination_sheets(
        self,
        records: list[DoseRecord],
        *,
        title: str,
        unit: str | None,
        fields: list[str],
        dose_style: str,
        date_styles: tuple[str, ...],
        fmt: str,
        quirks: set[str],
        noise: list[str],
        id_rate: float,
        with_village: bool,
        sheet_prefix: str = "接种明细",
    ) -> list[SheetBuilder]:
        """Rows of a vaccination list, split over sheets where the format needs it."""
        rng = self.rng
        limit = {"xls": XLS_MAX_ROWS - 20, "xlsx": XLSX_MAX_ROWS - 20}.get(fmt, len(records) + 1)
        labels = DOSE_STYLES[dose_style]
        width = len(fields)
        sheets: list[SheetBuilder] = []
        noise_at = {1 + len(records) * (k + 1) // (len(noise) + 1): r for k, r in enumerate(noise)}
        sheet = SheetBuilder(sheet_prefix)
        for i, rec in enumerate([None, *records]):
            if rec is None or (i > 1 and (i - 1) % limit == 0):
                name = sheet_prefix if rec is None else f"{sheet_prefix}({(i - 1) // limit + 1})"
                sheet = SheetBuilder(name)
                sheets.append(sheet)
                sheet.title(title, width)
                if unit:
                    sheet.line([unit] + [None] * (width - 1))
                sheet.line(self.header(fields, quirks, noted=(fields[3], fields[6])))
                if rec is not None:
                    quirks.add("sheets_split_by_row_limit")
            if rec is None:
                continue
            p = self.persons[rec.pid]
            style = rng.choice(date_styles)
            if style in ("cell", "cell_cn", "serial"):
                quirks.add("excel_serial_dates" if style == "serial" else "excel_date_cells")
            dose = labels[3] if rec.sequential else labels[rec.dose - 1]
            cells: list[Cell] = [
                i,
                self.plan.sites[rec.site],
                p.name,
                self.id_cell(p, False, quirks, id_rate),
                dose if fmt == "csv" or dose_style != "digits" else int(dose),
                rec.vaccine,
                date_text(rec.on, style),
                p.mode,
            ]
            if with_village:
                cells.append(self.label(p.village))
            if i in noise_at:
                self.vaccination_noise_row(sheet, noise_at[i], cells, rec, labels)
            sheet.data(cells)
        if dose_style == "digits" and fmt != "csv":
            quirks.add("dose_as_number")
        sheets[-1].line(["总计", f"{len(records)}条"] + [None] * (width - 2))
        quirks.add("total_row")
        return sheets

    def vaccination_noise_row(
        self,
        sheet: SheetBuilder,
        reason: str,
        cells: list[Cell],
        rec: DoseRecord,
        labels: tuple[str, ...],
    ) -> None:
        """A copy of a real row with one fatal defect: it adds nothing the truth needs."""
        bad = list(cells)
        if reason == "date_impossible":
            bad[6] = f"{rec.on.year}-02-30"
        elif reason == "date_future":
            bad[6] = DateCell(dt.date(2035, 6, 1))
        elif reason == "date_before_start":
            bad[6] = "2020.11.3"
        elif reason == "dose_unknown":
            bad[4] = self.rng.choice(("第四针", "不详"))
        elif reason == "village_unknown":
            bad[8] = self.unknown_village
        elif reason == "id_check_digit":
            text = self.persons[rec.pid].id18
            bad[3] = text[:-1] + "0123456789X".replace(text[-1], "")[rec.pid % 10]
        bad[0] = None
        sheet.data(bad, refused=reason)

    def render_vaccination(self) -> None:
        """Clinic exports, each clinic in its own layout, then villages' own lists."""
        plan = self.plan
        main = next(i for i, c in enumerate(plan.config.clinics) if c.kind == "镇卫生院")
        styles = [
            # format, encoding, delimiter, dose style, date styles, id quirk rate, with village
            ("csv", "gbk", ",", "digits", ("slash",), 0.01, True),
            ("xls", None, ",", "chinese", ("cell", "cell", "cn"), 0.0, False),
            ("csv", "utf-8-sig", "\t", "needles", ("compact",), 0.01, True),
            ("xlsx", None, ",", "digits", ("serial", "serial", "cell"), 0.0, False),
            ("csv", "gb18030", ",", "needles", ("dot",), 0.01, True),
        ]
        k = 0
        for i, clinic in enumerate(plan.config.clinics):
            records = plan.clinic_records[i]
            quirks: set[str] = set()
            if i == main:
                # A county-size export comes as CSV: writing it as .xlsx would take minutes.
                fmt = "csv" if len(records) > CSV_EXPORT_ROWS else "xlsx"
                sheets = self.vaccination_sheets(
                    records,
                    title=f"{clinic.name}新冠病毒疫苗接种明细",
                    unit=None,
                    fields=list(EXPORT_FIELDS),
                    dose_style="export",
                    date_styles=("cell",) * 18 + ("slash", "serial") if fmt == "xlsx" else ("iso",),
                    fmt=fmt,
                    quirks=quirks,
                    noise=list(EXPORT_NOISE),
                    id_rate=0.0,
                    with_village=True,
                )
                path = f"卫生院/{clinic.name}新冠疫苗接种明细导出.{fmt}"
                encoding = "utf-8-sig" if fmt == "csv" else None
                self.emit(path, "vaccination", fmt, sheets, quirks, encoding=encoding)
                continue
            fmt, encoding, delimiter, dose_style, date_styles, rate, with_village = styles[
                k % len(styles)
            ]
            k += 1
            fields = [
                "序号",
                "接种点",
                "姓名",
                "身份证号码",
                "针次",
                "生产企业",
                "接种时间",
                "接种形式",
            ] + (["户籍所在村"] if with_village else [])
            noise = ["id_check_digit"] if k == 1 else []
            if encoding == "gb18030":
                quirks.add("gb18030_only_characters")
            sheets = self.vaccination_sheets(
                records,
                title=f"{clinic.name}新冠疫苗接种记录",
                unit=f"填报单位:{clinic.name}",
                fields=fields,
                dose_style=dose_style,
                date_styles=date_styles,
                fmt=fmt,
                quirks=quirks,
                noise=noise,
                id_rate=rate,
                with_village=with_village,
            )
            if encoding == "gb18030":
                _rare_name(sheets[0])
            self.emit(
                f"卫生院/村卫生室/{clinic.name}接种记录.{fmt}",
                "vaccination",
                fmt,
                sheets,
                quirks,
                encoding=encoding,
                delimiter=delimiter,
            )
        self.render_village_lists()

    def render_village_lists(self) -> None:
        """Villages' own lists of their elderly's doses, overlapping the exports."""
        plan = self.plan
        formats = (("xlsx", None), ("csv", "utf-8"), ("xls", None))
        for k, (village, records) in enumerate(sorted(plan.village_lists.items())):
            fmt, encoding = formats[k % len(formats)]
            name = plan.villages[village].name
            quirks: set[str] = {"village_own_list"}
            fields = [
                "序号",
                "接种点",
                "姓名",
                "身份证号码",
                "第几针",
                "疫苗厂家",
                "接种时间",
                "接种形式",
                "户籍所在村",
            ]
            ordered = sorted(records, key=lambda r: (self.persons[r.pid].group, r.pid, r.dose))
            styles = (
                ("cell", "iso", "slash", "dot", "cn", "compact")
                if fmt != "csv"
                else ("iso", "slash", "dot", "cn", "compact")
            )
            sheets = self.vaccination_sheets(
                ordered,
                title=f"{name}60岁以上老人新冠疫苗接种登记表",
                unit=f"填报单位:{self.unit_label(village)}",
                fields=fields,
                dose_style="village",
                date_styles=styles,
                fmt=fmt,
                quirks=quirks,
                noise=["dose_unknown"] if k == 0 else [],
                id_rate=0.05,
                with_village=True,
                sheet_prefix="登记表",
            )
            self.emit(
                f"各村上报/{name}/{name}60岁以上老人新冠疫苗接种登记表.{fmt}",
                "vaccination",
                fmt,
                sheets,
                quirks,
                encoding=encoding,
                village=village,
            )

    # --- township ledgers ----------------------------------------------------------------

    def render_verification(self) -> None:
        """The township's big-data verification ledger."""
        plan = self.plan
        quirks: set[str] = set()
        fields = [
            "序号",
            "推送日期",
            "推送来源",
            "姓名",
            "身份证号",
            "联系电话",
            "所属村",
            "核查结果",
            "管控措施",
            "核查完成日期",
        ]
        sheet = SheetBuilder("核查台账")
        sheet.title(f"{self.town}大数据核查工作台账", len(fields))
        sheet.line([f"填报单位:{self.town}疫情防控指挥部办公室"] + [None] * (len(fields) - 1))
        sheet.line(self.header(fields, quirks, noted=("身份证号",)))
        for i, row in enumerate(plan.verification):
            p = self.persons[row.pid]
            style = self.rng.choice(("cell", "cell", "iso", "slash"))
            done: Cell = None if row.completed_on is None else date_text(row.completed_on, style)
            sheet.data(
                [
                    i + 1,
                    date_text(row.pushed_on, style),
                    row.source,
                    p.name,
                    self.id_cell(p, False, quirks, 0.02),
                    p.phone or None,
                    self.label(row.village),
                    row.result,
                    row.measure,
                    done,
                ]
            )
        quirks.add("excel_date_cells")
        self.footer(sheet, self.report_day, len(fields))
        self.emit(f"镇政府/{self.town}大数据核查台账.xlsx", "verification", "xlsx", [sheet], quirks)

    def render_key_places(self) -> None:
        """Key-place inspections kept by the 镇卫生院 (legacy .xls)."""
        plan = self.plan
        quirks: set[str] = set()
        fields = ["序号", "检查日期", "场所名称", "场所类型", "所属村", "发现问题数", "整改情况"]
        sheet = SheetBuilder("检查记录")
        sheet.title("重点场所疫情防控检查记录", len(fields))
        main = next(c.name for c in plan.config.clinics if c.kind == "镇卫生院")
        sheet.line([f"填报单位:{main}"] + [None] * (len(fields) - 1))
        sheet.line(self.header(fields, quirks))
        for i, row in enumerate(plan.key_places):
            status = "" if row.problems == 0 else ("已整改" if row.rectified else "整改中")
            sheet.data(
                [
                    i + 1,
                    date_text(row.on, "cell"),
                    row.place,
                    row.place_type,
                    self.label(row.village),
                    row.problems,
                    status or None,
                ]
            )
        sheet.line(["合计", None, None, None, None, sum(r.problems for r in plan.key_places), None])
        quirks.add("total_row")
        self.footer(sheet, self.report_day, len(fields))
        self.emit("卫生院/重点场所疫情防控检查记录.xls", "key_place", "xls", [sheet], quirks)

    def render_meetings(self) -> None:
        """Meetings and documents of the township office."""
        quirks: set[str] = set()
        fields = ["序号", "日期", "名称", "类型", "文号"]
        sheet = SheetBuilder("会议及文件")
        sheet.title(f"{self.town}疫情防控会议及文件台账", len(fields))
        sheet.line(self.header(fields, quirks))
        for i, row in enumerate(self.plan.meetings):
            style = self.rng.choice(("cn", "iso", "cell"))
            sheet.data(
                [i + 1, date_text(row.on, style), row.title, row.kind, row.doc_number or None]
            )
        self.footer(sheet, self.report_day, len(fields))
        self.emit("镇政府/会议及文件台账.xlsx", "meeting", "xlsx", [sheet], quirks)

    def render_demonstration(self) -> None:
        """One row per village on the demonstration-village campaign."""
        quirks: set[str] = set()
        # Full-width brackets, as an IME types them.
        fields = ["序号", "村（社区）", "是否参与创建", "创建阶段", "参与党员人数", "志愿者人数"]
        quirks.add("header_fullwidth")
        sheet = SheetBuilder("示范村创建")
        sheet.title("党建引领群防群控示范村(社区)创建台账", len(fields))
        sheet.line(self.header(fields, quirks))
        for i, row in enumerate(self.plan.demonstration):
            sheet.data(
                [
                    i + 1,
                    self.label(row.village),
                    "是" if row.taking_part else "否",
                    row.stage or None,
                    row.party_members if row.taking_part else None,
                    row.volunteers if row.taking_part else None,
                ]
            )
        self.footer(sheet, self.report_day, len(fields))
        self.emit(
            "镇政府/示范村(社区)创建台账.csv",
            "demonstration",
            "csv",
            [sheet],
            quirks,
            encoding="utf-8-sig",
        )

    def render_reserves(self) -> None:
        """Reserve snapshots per clinic; quotas are stated in the 储备定额 note."""
        plan = self.plan
        quirks: set[str] = {"quota_in_note_column", "rows_after_cutoff", "header_fullwidth"}
        items = (
            ("beds", "床位数"),
            ("fever_rooms", "发热诊室数"),
            ("oxygen_concentrators", "制氧机台数"),
            ("oximeters", "指夹式血氧仪个数"),
            ("antipyretic_boxes", "退烧药库存（盒）"),
            ("antigen_tests", "抗原检测试剂(份)"),
        )
        headers = dict(items)
        fields = ["单位", "日期", *headers.values(), "储备定额"]
        sheet = SheetBuilder("物资储备")
        sheet.title("医疗资源及物资储备情况表", len(fields))
        sheet.line(self.header(fields, quirks))
        for row in plan.reserves:
            quota = plan.reserve_quotas.get(row.clinic, {})
            note = "；".join(f"{headers[k]}:{v}" for k, v in quota.items()) or None
            sheet.data(
                [
                    plan.config.clinics[row.clinic].name,
                    date_text(row.on, "cell"),
                    *(row.items[k] for k, _ in items),
                    note,
                ]
            )
        self.footer(sheet, self.report_day, len(fields))
        self.emit("卫生院/医疗资源及物资储备情况表.xlsx", "reserve", "xlsx", [sheet], quirks)

    # --- files to refuse whole -----------------------------------------------------------

    def render_refused_files(self) -> None:
        """Whole files to refuse: empty, truncated, and of no known kind."""
        plan = self.plan
        empty = (
            f"各村上报/{plan.villages[min(6, len(plan.villages) - 1)].name}/新建 XLSX 工作表.xlsx"
        )
        (self.out / empty).parent.mkdir(parents=True, exist_ok=True)
        (self.out / empty).write_bytes(b"")
        self.files.append(
            DemoFile(empty, None, "xlsx", quirks=["empty_file"], refused="empty_file")
        )

        # A clinic backup cut off in transfer: the first half of a real workbook's bytes.
        quirks: set[str] = set()
        records = plan.clinic_records[0][:400]
        fields = [
            "序号",
            "接种单位",
            "姓名",
            "身份证号",
            "剂次",
            "疫苗名称",
            "接种日期",
            "接种方式",
        ]
        sheets = self.vaccination_sheets(
            records,
            title="接种数据备份",
            unit=None,
            fields=fields,
            dose_style="export",
            date_styles=("cell",),
            fmt="xlsx",
            quirks=quirks,
            noise=[],
            id_rate=0.0,
            with_village=False,
        )
        entry = self.emit(
            "卫生院/接种数据备份(传输中断).xlsx",
            "vaccination",
            "xlsx",
            sheets,
            {"truncated_workbook"},
            refused="unreadable_workbook",
        )
        target = self.out / entry.path
        data = target.read_bytes()
        target.write_bytes(data[: len(data) // 2])

        sheet = SheetBuilder("Sheet1")
        fields = ["采购日期", "品名", "规格", "采购数量", "单价(元)", "金额(元)", "供应商"]
        sheet.title(f"{self.town}机关食堂采购清单", len(fields))
        sheet.line(fields)
        goods = (
            ("大米", "25kg/袋", 4, 130),
            ("菜籽油", "5L/桶", 6, 95),
            ("猪肉", "斤", 40, 14),
            ("白菜", "斤", 60, 2),
            ("鸡蛋", "30枚/板", 10, 28),
        )
        for k, (item, spec, qty, price) in enumerate(goods * 4):
            day = plan.cutoff - (40 - 2 * k) * DAY
            sheet.data([date_text(day, "cell"), item, spec, qty, price, qty * price, "镇农贸市场"])
        self.emit(
            f"镇政府/{self.town}机关食堂采购清单.xlsx",
            None,
            "xlsx",
            [sheet],
            {"unknown_header"},
            refused="unknown_header",
        )


def _rare_name(sheet: SheetBuilder) -> None:
    """Give one person a name character GBK lacks (䶮), as GB18030 files may carry."""
    for row in sheet.rows:
        if isinstance(row[0], int) and isinstance(row[2], str):
            row[2] = row[2][0] + "䶮"
            return


def render_inbox(plan: Plan, out_dir: Path) -> list[DemoFile]:
    """Write every file of the inbox under ``out_dir``; returns the manifest."""
    r = Renderer(plan, out_dir)
    r.render_rosters()
    r.render_publicity()
    r.render_grids()
    r.render_vaccination()
    r.render_verification()
    r.render_key_places()
    r.render_meetings()
    r.render_demonstration()
    r.render_reserves()
    r.render_refused_files()
    return r.files
