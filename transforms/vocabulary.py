"""Every Chinese domain term the pipeline recognises, as data, in one place.

The input contract is data in ``kinds/`` (checked by ``transforms/contract.py``): the file
kinds, the header aliases that say which column of which kind a typed header means, and the
vocabularies that map the values clerks write to the codes we store. The tables here derive
from it, under the names the stages import; the words we write ourselves are listed below.
Matching is done on a folded form of the text (see ``fold``): full-width
characters become half-width, spaces and notes such as ``（必填）`` go.
"""

from __future__ import annotations

import re
import unicodedata

from epireport.config import FileKind
from transforms.contract import CONTRACT, ENUMERATED_TYPES

KIND_LABELS: dict[FileKind, str] = {kind: spec.label for kind, spec in CONTRACT.kinds.items()}

# field -> (template header, aliases...). The first header is the template's.
HEADER_ALIASES: dict[FileKind, dict[str, tuple[str, ...]]] = {
    kind: {field: tuple(f.headers) for field, f in spec.fields.items()}
    for kind, spec in CONTRACT.kinds.items()
}

REQUIRED_FIELDS: dict[FileKind, tuple[str, ...]] = {
    kind: tuple(field for field, f in spec.fields.items() if f.required)
    for kind, spec in CONTRACT.kinds.items()
}


def _spellings(name: str) -> dict[str, str]:
    """Spelling -> code of an enumeration whose codes are words."""
    return {s: str(code) for s, code in CONTRACT.enumerations[name].spellings().items()}


# 居住状态 -> stored status. 死亡 and 迁出 leave the population base.
RESIDENCE_STATUS: dict[str, str] = _spellings("status")
OUT_OF_BASE_STATUSES: frozenset[str] = frozenset(
    str(code) for code, c in CONTRACT.enumerations["status"].codes.items() if c.out_of_base
)

# 剂次 labels -> dose number; 3 is a booster (加强针, 第3剂, 序贯加强).
DOSE_LABELS: dict[str, int] = {
    s: int(code) for s, code in CONTRACT.enumerations["dose"].spellings().items()
}

VACCINATION_MODES: dict[str, str] = _spellings("mode")

# 宣传形式 -> stored kind (its unit in the report: PUBLICITY_UNITS). The spec's compound name
# gives the parts a value may name alone or together (see kinds/enumerations.yaml).
PUBLICITY_KINDS: dict[str, str] = _spellings("publicity_kind")
PUBLICITY_UNITS: dict[str, str] = {
    str(code): c.unit
    for code, c in CONTRACT.enumerations["publicity_kind"].codes.items()
    if c.unit is not None
}

# Words clerks write around a quantity ("约300", "300余张", "1200多份"): the number is kept.
QUANTITY_PREFIXES: tuple[str, ...] = ("约", "大约", "约计", "近", "共", "共计", "累计")
QUANTITY_SUFFIXES: tuple[str, ...] = ("余", "多", "左右", "以上")
QUANTITY_UNITS: tuple[str, ...] = (
    *PUBLICITY_UNITS.values(),
    "份",
    "个",
    "场",
    "幅",
    "块",
    "户",
    "人",
    "盒",
    "台",
    "床",
    "间",
    "处",
    "期",
)

# The largest quantity one row may state, per file kind and field: generous (ten to a
# thousand times anything a township writes in one row), so that only a typing error (an ID
# or phone number in a count column, digits held down, 9223372036854775807) passes them. A row
# above its bound is refused as quantity_too_large and counts in no figure. With every row at
# most QUANTITY_CEILING (10^7), a SQL sum would need 10^11 rows to leave BIGINT's range
# (9.2 x 10^18), so no figure can overflow however many files a township sends. A field's
# bound is its upper_bound in kinds/<kind>.yaml.
QUANTITY_BOUNDS: dict[FileKind, dict[str, int]] = {
    kind: bounds
    for kind, spec in CONTRACT.kinds.items()
    if (bounds := {n: f.upper_bound for n, f in spec.fields.items() if f.upper_bound is not None})
}
# The bound of a quantity no field names (a 储备定额 note's quotas): the largest field bound.
QUANTITY_CEILING: int = max(b for fields in QUANTITY_BOUNDS.values() for b in fields.values())

# Words that open a footer row below a table (the rule: transforms/layout.py, is_footer):
# a total, followed only by numbers and labels, or a signature line, followed by anything.
FOOTER_TOTALS: tuple[str, ...] = ("合计", "总计", "小计")
FOOTER_SIGNATURES: tuple[str, ...] = (
    "制表人",
    "填表人",
    "填报人",
    "填报日期",
    "制表日期",
    "审核人",
)
FOOTER_MARKERS: tuple[str, ...] = (*FOOTER_TOTALS, *FOOTER_SIGNATURES)
# Sheet names of instruction pages: they only name why a sheet without a header was skipped;
# a sheet is skipped for having no recognisable header, never for its name.
# Our own templates' hidden sheet of dropdown lists (transforms/blank_templates.py) is one.
TEMPLATE_LISTS_SHEET = "下拉选项"
INSTRUCTION_SHEETS: tuple[str, ...] = (
    "说明", "填表说明", "填报说明", "使用说明", TEMPLATE_LISTS_SHEET,
)  # fmt: skip
# Title-row words that introduce the submitting unit.
UNIT_MARKERS: tuple[str, ...] = ("填报单位", "单位名称", "报送单位")
VILLAGE_SUFFIXES: tuple[str, ...] = (
    "村民委员会",
    "居民委员会",
    "社区居委会",
    "村委会",
    "居委会",
    "社区",
    "村",
)

_NOTE = re.compile(r"[（(][^）)]*[）)]$")
_SPACE = re.compile(r"\s+")


def fold(text: str) -> str:
    """Fold a typed label for matching: NFKC (full-width to half-width), no spaces."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


def fold_header(text: str) -> str:
    """Fold a header cell, also dropping a trailing note such as （必填） or *."""
    folded = fold(text).strip("*＊")
    stripped = _NOTE.sub("", folded)
    return stripped or folded


def _folded_index(table: dict[str, int] | dict[str, str]) -> dict:
    return {fold(k): v for k, v in table.items()}


RESIDENCE_STATUS_FOLDED = _folded_index(RESIDENCE_STATUS)
DOSE_LABELS_FOLDED = _folded_index(DOSE_LABELS)
VACCINATION_MODES_FOLDED = _folded_index(VACCINATION_MODES)
PUBLICITY_KINDS_FOLDED = _folded_index(PUBLICITY_KINDS)

# Reason codes of refused rows and files, in the words the clerk who sent the file reads.
REASON_TEXTS: dict[str, str] = {
    "resubmission_empty": (
        "重报文件未含数据行，未替换此前报送的“{earlier}”（{earlier_rows} 行）；"
        "如确需替换，请将此前文件移出收件箱"
    ),
    "resubmission_shrank": (
        "重报文件仅 {rows} 行，不足此前报送的“{earlier}”（{earlier_rows} 行）的一半，未予替换；"
        "如确需替换，请将此前文件移出收件箱"
    ),
    "id_missing": "身份证号码为空",
    "id_excel_float": "身份证号码被 Excel 转成了科学计数法（如 4.30102195E+17），后几位已丢失",
    "id_bad_format": "身份证号码位数或字符不正确",
    "id_bad_birth_date": "身份证号码中的出生日期不存在",
    "id_bad_check_digit": "身份证号码校验位错误",
    "date_missing": "日期为空",
    "date_unparseable": "日期无法识别",
    "date_impossible": "日期不存在（如 2 月 30 日）",
    "date_in_future": "日期晚于本次运行日期",
    "date_before_vaccine_start": "接种日期早于 2020年12月15日（新冠疫苗接种开始日期）",
    "dose_missing": "剂次为空",
    "dose_unknown": "剂次不在规定范围内（第一针、第二针、加强针等）",
    "quantity_missing": "数量为空",
    "quantity_not_numeric": "数量不是数字",
    "quantity_negative": "数量为负数",
    "status_missing": "居住状态为空",
    "status_unknown": "居住状态不在规定范围内（在家、外出务工、外出就学、外出、死亡、迁出）",
    "village_missing": "所属村（社区）为空",
    "village_unknown": "所属村（社区）与乡镇登记的任何村名、别名都不匹配",
    "publicity_kind_unknown": "宣传形式不在规定范围内",
    "value_not_in_vocabulary": "填写的值不在规定的选项范围内",
    "value_missing": "必填项为空",
    "quota_note_unreadable": "储备定额无法识别（应写作“物资名称：数量”，多项用分号隔开）",
    "unsupported_format": "不是可识别的表格文件（支持 xlsx、xls、csv）",
    "empty_file": "文件为空",
    "file_too_large": "文件超过大小上限",
    "workbook_too_large_expanded": "工作簿解压后超过大小上限",
    "workbook_unreadable": "工作簿已损坏或不完整，无法打开",
    "workbook_protected": "工作簿设有密码保护，无法读取",
    "csv_encoding": "CSV 文件编码无法识别",
    "csv_unreadable": "CSV 文件无法解析（引号不成对或格式损坏），请另存为 xlsx 或 CSV 后重新提交",
    "csv_line_too_long": "CSV 文件中有一行超过长度上限",
    "too_many_cells": "表格范围（行数×列数）超过单元格数上限",
    "file_vanished": "文件在列出之后、读取之前被移走或删除，请重新放入收件箱",
    "link_outside_inbox": "这是指向收件箱以外的快捷方式（链接），未读取；请把文件本身放入收件箱",
    "folder_unreadable": "文件夹无法打开（没有读取权限），其中的文件未读取；请检查文件夹权限",
    "file_unreadable": "文件无法打开（没有读取权限或被其他程序占用），请检查文件权限后重新放入",
    "reader_out_of_memory": (
        "读取该文件所需内存超过上限（reader_memory_mb），已跳过；请检查文件是否损坏"
    ),
    "instruction_sheet": "说明页：没有可识别的表头，不含数据",
    "empty_sheet": "工作表为空",
    "unknown_header": "表头与任何已知台账类型都不匹配",
    "missing_required_column": "缺少必填列",
    "village_not_named": "标题、填报单位和文件名都没有写明是哪个村（社区）",
    "no_table": "没有任何工作表含有可识别的表头",
    "reader_crashed": "文件结构异常或读取所需内存超过上限，读取程序两次中止，已跳过",
    "reader_timeout": "文件读取超时（超过 10 分钟），已跳过",
    "value_ambiguous": "填写的值可同时理解为多个选项，无法确定是哪一项",
    "mode_unknown": "接种方式不在规定范围内，按“其他”计入，不计入上门接种",
    "quantity_too_large": "数量超过该栏的合理上限，可能多输了数字或填入了其他号码，请核实",
}
# How the sender corrects what each reason code refused (the feedback workbooks): one
# instruction per code of REASON_TEXTS, addressed to the village or clinic that sent the file.
REASON_FIXES: dict[str, str] = {
    "resubmission_empty": "重报的文件中没有数据行，请填好数据后重新报送",
    "resubmission_shrank": (
        "重报的文件比此前报送的少了一半以上的行，请核对是否漏填或漏了工作表，补全后重新报送"
    ),
    "id_missing": "请补填该人的身份证号码",
    "id_excel_float": "请把身份证号码一栏设为“文本”格式，重新输入完整的 18 位号码",
    "id_bad_format": (
        "请核对身份证号码：应为 18 位，前 17 位是数字，最后一位是数字或 X，不夹空格和其他文字"
    ),
    "id_bad_birth_date": "请对照身份证核对号码中的出生日期（第 7 至 14 位）",
    "id_bad_check_digit": "号码中有数字输错或顺序颠倒，请对照身份证逐位核对后改正",
    "date_missing": "请补填日期，写作 2022-03-05 或 2022年3月5日",
    "date_unparseable": "请把日期改写为 2022-03-05 或 2022年3月5日 的形式",
    "date_impossible": "请核对日期，改为日历上实际存在的日期",
    "date_in_future": "请核对日期，不能晚于填报当天",
    "date_before_vaccine_start": "请核对接种日期，应在 2020年12月15日 之后",
    "dose_missing": "请补填剂次，如第一针、第二针、加强针",
    "dose_unknown": "请把剂次改为第一针、第二针、加强针之一",
    "quantity_missing": "请补填数量，只写阿拉伯数字",
    "quantity_not_numeric": "请只写阿拉伯数字（如 300），不写文字",
    "quantity_negative": "数量不能为负数，请核对后改正",
    "status_missing": "请补填居住状态",
    "status_unknown": "请把居住状态改为在家、外出务工、外出就学、外出、死亡、迁出之一",
    "village_missing": "请补填所属村（社区）的名称",
    "village_unknown": "请写本镇村（社区）的名称，如有错别字请改正",
    "publicity_kind_unknown": (
        "请改为模板规定的宣传形式之一，如横幅、宣传单、宣传画、广播、入户宣讲"
    ),
    "value_not_in_vocabulary": "请改为模板中该栏规定的选项之一",
    "value_missing": "该栏为必填项，请补填",
    "quota_note_unreadable": (
        "请写作“物资名称：数量”，多项用分号隔开，如“抗原检测试剂：1000；退热药：50”"
    ),
    "unsupported_format": "请另存为 xlsx 格式后重新报送",
    "empty_file": "文件中没有内容，请确认发送的是填好数据的文件后重新报送",
    "file_too_large": "请删去与本台账无关的工作表和图片，或分成几个文件重新报送",
    "workbook_too_large_expanded": "请删去与本台账无关的工作表和图片，或分成几个文件重新报送",
    "workbook_unreadable": "请用 Excel 或 WPS 打开确认文件完好，另存为 xlsx 后重新报送",
    "workbook_protected": "请取消文件的打开密码后重新报送",
    "csv_encoding": "请用 Excel 或 WPS 打开后另存为 xlsx 格式，重新报送",
    "csv_unreadable": "请用 Excel 或 WPS 打开后另存为 xlsx 格式，重新报送",
    "csv_line_too_long": "请删去粘贴进表格的大段文字，另存为 xlsx 后重新报送",
    "too_many_cells": "请删去表格中多余的空行、空列和无关内容后重新报送",
    "file_vanished": "请重新报送该文件",
    "link_outside_inbox": "请发送文件本身，不要发送快捷方式",
    "folder_unreadable": "请重新报送该文件",
    "file_unreadable": "请重新报送该文件",
    "reader_out_of_memory": "请删去与本台账无关的内容，另存为 xlsx 后重新报送",
    "instruction_sheet": "说明页不含数据，无需更正",
    "empty_sheet": "空白工作表，无需更正",
    "unknown_header": "请使用镇里下发的模板填报，不要改动表头",
    "missing_required_column": "请按模板补上缺少的必填列并填写，然后重新报送",
    "village_not_named": "请在标题或“填报单位”一行写明村（社区）名称后重新报送",
    "no_table": "请使用镇里下发的模板填报，保留表头行",
    "reader_crashed": "请用 Excel 或 WPS 打开确认文件完好，另存为 xlsx 后重新报送",
    "reader_timeout": "请删去与本台账无关的内容，另存为 xlsx 后重新报送",
    "value_ambiguous": "请改写为原因中列出的选项之一",
    "mode_unknown": "请把接种方式改为门诊接种、上门接种、临时接种点、接送接种之一",
    "quantity_too_large": "请核对数量，删去多输的数字；数量栏不要填写证件号码或电话",
}
# A reason code no fix is written for (a code added later): still an instruction.
REASON_FIX_DEFAULT = "请核对该行后改正，重新报送"

# The feedback workbook of each village and clinic (transforms/feedback.py): its sheets, their
# headings, and the cover sheet's sentences, which the office sends as they are.
FEEDBACK_SHEETS: dict[str, str] = {
    "cover": "说明",
    "files": "收到的文件",
    "refused": "被拒绝的行",
    "submissions": "缺报迟报",
    "unknown": "未能识别的填写值",
}
FEEDBACK_HEADINGS: dict[str, dict[str, str]] = {
    "files": {
        "path": "文件",
        "kind": "台账",
        "status": "状态",
        "refusal": "说明",
        "rows_read": "数据行",
        "rows_loaded": "入库行",
        "rows_refused": "拒绝行",
        "rows_retired": "不计入行",
        "fix": "如何更正",
    },
    "refused": {
        "path": "文件",
        "sheet": "工作表",
        "row_number": "行号",
        "field": "栏目",
        "value_masked": "填写的值（个人信息已隐去）",
        "reason": "原因",
        "fix": "如何更正",
    },
    "submissions": {"kind_label": "台账", "state": "情况", "submitted_on": "报送日期"},
    "unknown": {
        "kind": "台账",
        "field": "栏目",
        "value_masked": "填写的值",
        "rows": "行数",
        "suggestion": "建议改为",
    },
}
SUBMISSION_STATES: dict[str, str] = {"missing": "未报送", "late": "逾期报送"}
FEEDBACK_TEXTS: dict[str, str] = {
    "title": "{sender}台账报送情况反馈",
    "run": "{township}疫情防控专项工作报告，数据截至 {cutoff}。",
    "received": (
        "共收到{sender}报送的文件 {files} 个，入库 {loaded} 行，被拒绝 {refused} 行（未计入报告）。"
    ),
    "no_files": "本次未收到{sender}报送的文件。",
    "unattributed": (
        "以下 {files} 个文件的文件名和内容都没有写明是哪个村（社区）或卫生院（室）报送的，"
        "入库 {loaded} 行，被拒绝 {refused} 行（未计入报告）；请确认报送单位后转交。"
    ),
    "files_refused": ("有 {count} 个文件未能读取或未予采用，原因和更正办法见“收到的文件”表。"),
    "rows_refused": (
        "被拒绝的 {count} 行见“被拒绝的行”表：按工作表和行号找到该行，按“如何更正”一栏改正。"
    ),
    "missing": "未报送：{kinds}（截止日期 {deadline}），请尽快报送。",
    "late": "逾期报送：{kinds}（截止日期 {deadline}）。",
    "unknown": "有 {count} 种填写值未能识别，建议的写法见“未能识别的填写值”表。",
    "resend": (
        "请改正后把整个文件重新报送。表中身份证号码等个人信息已部分隐去，请按工作表和行号查找。"
    ),
    "all_good": "报送的文件全部入库，无需更正。",
    "none": "无",
}
# The workbook of files whose path names no village or clinic (and whose content names none).
FEEDBACK_UNATTRIBUTED = "未能确定报送单位"

# The figure an unknown value of a field is missing from (unknown_values.csv, the quality
# note); a publicity kind whose closest spelling is one kind names that kind's figure.
AFFECTED_FIGURES: dict[tuple[str, str], str] = {
    ("roster", "status"): "常住人口基数及各项接种率",
    ("vaccination", "dose"): "疫苗接种人数及接种率",
    ("vaccination", "mode"): "上门接种剂次及人数",
    ("vaccination", "village"): "疫苗接种人数及接种率",
    ("publicity", "kind"): "宣传工作各项数量",
    ("verification", "village"): "大数据核查各村数字",
    ("verification", "result"): "大数据核查落实数及落实率",
    ("verification", "measure"): "大数据核查管控措施分类",
    ("grid", "village"): "网格化管理各项数字",
    ("key_place", "place_type"): "重点场所检查数及场所分类",
    ("key_place", "village"): "重点场所检查各村数字",
    ("key_place", "rectification"): "问题整改数",
    ("meeting", "meeting_type"): "会议及文件数",
    ("demonstration", "village"): "示范村创建各项数字",
    ("demonstration", "taking_part"): "参与示范村创建的村数",
    ("demonstration", "stage"): "示范村创建进展",
}
PUBLICITY_AFFECTED_FIGURE = "宣传工作中“{label}”的数量"
# One line of unknown_values.csv as the report and the quality page say it.
UNKNOWN_VALUE_NOTE = "{kind}的{field}“{value}”有{rows}条记录未能识别，{figure}未计入这些记录"

# Enumerated fields read by type enum:<name>: typed value -> stored code. The first spelling
# of a code is its label in the report (see ``enumeration_labels``).
ENUMERATIONS: dict[str, dict[str, str]] = {
    name: _spellings(name) for name in CONTRACT.enumerations if name not in ENUMERATED_TYPES
}
# The ingest artifact in the Prefect UI: column -> heading, in the order shown (no hashes,
# no file ids), and each file status as the office reads it.
INGEST_HEADINGS: dict[str, str] = {
    "path": "文件",
    "kind": "台账",
    "village_code": "村（社区）",
    "status": "状态",
    "refusal": "说明",
    "rows_read": "数据行",
    "rows_loaded": "入库行",
    "rows_refused": "拒绝行",
    "refused_by_reason": "拒绝原因",
    "rows_retired": "不计入行",
    "rows_in_file": "非空行",
    "rows_layout": "标题表头等行",
    "rows_skipped": "跳过行",
}
FILE_STATUS_LABELS: dict[str, str] = {
    "loaded": "已入库",
    "refused": "未能读取",
    "duplicate": "重复文件，不计入",
    "superseded": "已被新版本替换",
    "held": "未替换此前的文件",
    "skipped": "已跳过",
}
# The headings of the listings beside the report (ingest_summary.csv, ingest_sheets.csv,
# refused_rows.csv), by the ledger's column; columns not named here (keys, codes) are left out.
LISTING_HEADINGS: dict[str, str] = {
    **INGEST_HEADINGS,
    "format": "格式",
    "size_bytes": "文件大小（字节）",
    "modified_at": "修改时间",
    "reported_on": "填报日期",
    "sheets": "工作表",
    "sheet": "工作表",
    "reason": "原因",
    "rows": "非空行",
    "rows_data": "数据行",
    "row_number": "行号",
    "field": "栏目",
    "value_masked": "填写的值（个人信息已隐去）",
}

# What `epireport check` prints, line by line (transforms/instant_check.py).
CHECK_TEXTS: dict[str, str] = {
    "file": "文件：{path}",
    "file_refused": "  整个文件未能读取：{reason}",
    "kind": "  类型：{kind}；村（社区）：{village}",
    "village_per_row": "按行填写",
    "rows": "  读取 {read} 行，可入库 {load} 行，将被拒绝 {refuse} 行",
    "refused_row": "  工作表“{sheet}”第 {row} 行，{column}：{reason}（填写的值：{value}）",
    "duplicate": "  与另一文件内容完全相同，不重复计入",
    "superseded": "  已有更新的版本，此文件不计入",
    "held": "  未替换此前的文件：{reason}",
    "suggestion": "  {column}填写的“{value}”未能识别，建议改为{suggestion}",
    "no_files": "结论：没有可检查的文件",
    "verdict_ok": "结论：{files} 个文件全部可入库",
    "verdict_bad": "结论：将被拒绝 {rows} 行，无法读取 {files} 个文件，未予替换 {held} 个文件；"
    "请更正后重新报送",
}
# Blank templates (`epireport templates`, transforms/blank_templates.py): names, the lines
# above the header, the 填表说明 sheet and the CLI's lines.
TEMPLATE_TEXTS: dict[str, str] = {
    "file_name": "{village}{label}（模板）.xlsx",
    "title": "{village}{label}",
    "unit": "填报单位：",
    "reported_on": "填报日期：",
    "guide_sheet": "填表说明",
    "lists_sheet": TEMPLATE_LISTS_SHEET,
    "list_caption": "{header}可选值",
    "guide_title": "{label}填表说明",
    "required": "必填",
    "optional": "选填",
    "other_spellings": "{label}（也可写：{others}）",
    "error_title": "填写有误",
    "written": "已写出：{path}",
    "exists": "{path}：文件已存在（共 {count} 个），未覆盖；请换一个输出文件夹，或先移走这些文件",
    "not_a_folder": "{path}：这是文件，不是文件夹；请指定一个输出文件夹",
    "unknown_kind": "--kind：“{names}”不是台账类型；可用的有：{known}",
}
TEMPLATE_GUIDE_HEADINGS: tuple[str, ...] = ("栏目", "是否必填", "填写要求", "可填写的值")
TEMPLATE_NOTES: tuple[str, ...] = (
    "一、每行填写一条记录，从表头下一行起连续填写；请勿修改、删除或移动表头，请勿合并单元格。",
    "二、红色表头为必填栏目，必填栏目为空的行不能入库。",
    "三、有下拉列表的栏目请从列表中选择；日期写作 2022-12-18；身份证号码栏已设为文本格式，"
    "请勿改为数字。",
)
TEMPLATE_UNIT_NOTE = (
    "四、请在表格上方“填报单位”处选择本村（社区）的名称，否则无法确定是哪个村（社区）的数据。"
)
# What a column asks for, by field type ("enum" for every enumeration but 接种方式), as the
# 填表说明 and the note Excel shows on a selected cell say it; {bound}: a count's upper bound.
TEMPLATE_RULES: dict[str, str] = {
    "id": "居民身份证号码，18位（15位旧号码也可），末位可为X",
    "date": "日期，写作 2022-12-18，不晚于填报当天",
    "vaccination_date": "接种日期，写作 2022-12-18，不早于 2020-12-15，不晚于填报当天",
    "count": "0 至 {bound} 的整数",
    "enum": "从下拉列表中选择",
    "mode": "从下拉列表中选择；列表以外的写法按“其他”计入",
    "village": "从下拉列表中选择本镇的村（社区）",
    "personal": "只用于核对，不会保存",
    "text": "文字",
    "unused": "文字，不计入报告",
    "quota_note": "写作 物资名称：数量，多项用分号隔开，如 制氧机台数：5；退烧药库存（盒）：300",
}
# What Excel says when a typed value breaks a column's validation.
TEMPLATE_ERRORS: dict[str, str] = {
    "id": "身份证号码应为15位或18位",
    "date": "请填写不晚于今天的日期，如 2022-12-18",
    "vaccination_date": "请填写 2020-12-15 至今天之间的日期，如 2022-12-18",
    "count": "请填写 0 至 {bound} 的整数",
    "list": "请从下拉列表中选择",
    "mode": "不在下拉列表中，将按“其他”计入；确定要这样填写吗？",
}
# The one-line verdict the office reads (verdict.txt, the CLI, the quality artifact).
VERDICT_LINE = "关键检查{critical}，警告 {warnings} 项，共 {checks} 项检查"
CRITICAL_PASSED = "全部通过"
CRITICAL_FAILED = "有 {count} 项未通过"
# How a note joins the names of its failing rows: villages by 、, whole clauses by ；.
QUALITY_NOTE_SEPARATORS: dict[str, str] = {"unknown_values": "；", "unknown_values_share": "；"}
# A value that could mean several codes (transforms/spellings.py), as the refusal names them.
AMBIGUOUS_REASON = "填写的值可同时理解为{candidates}，无法确定是哪一项，请改写为其中一项"


def field_label(kind: str, field: str) -> str:
    """A field as the template heads it (its first header); the field name when unknown."""
    return HEADER_ALIASES.get(kind, {}).get(field, (field,))[0]


def enumeration_labels(name: str) -> dict[str, str]:
    """Stored code -> the label the report writes (the first spelling listed)."""
    labels: dict[str, str] = {}
    for label, code in ENUMERATIONS[name].items():
        labels.setdefault(code, label)
    return labels


# Reserve item -> (name in the report, unit); the order is the order the report cites them.
RESERVE_ITEM_LABELS: dict[str, tuple[str, str]] = {
    "beds": ("床位", "张"),
    "fever_rooms": ("发热诊室", "间"),
    "oxygen_concentrators": ("制氧机", "台"),
    "oximeters": ("指夹式血氧仪", "个"),
    "antipyretic_boxes": ("退烧药", "盒"),
    "antigen_tests": ("抗原检测试剂", "份"),
}
# What separates the items of a 储备定额 note ("制氧机台数:5；退烧药库存(盒):300"), after folding;
# a comma also does, unless a digit follows it (1,200).
QUOTA_NOTE_SEPARATORS: tuple[str, ...] = (";", "、", "\n")

# How a township's name ends -> the word for it in "全镇", "我乡"; 镇 when none matches.
AREA_SUFFIXES: tuple[str, ...] = ("街道", "镇", "乡")

# Official-document typography (GB/T 9704): the fonts of each kind of line in report.docx.
DOCUMENT_FONTS: dict[str, str] = {
    "title": "方正小标宋简体",
    "body": "仿宋",
    "heading_1": "黑体",
    "heading_2": "楷体",
    "table": "仿宋",
    "page_number": "宋体",
}
# CJK fonts for the coverage chart, first found wins; all free fonts a Debian machine can install.
CHART_FONTS: tuple[str, ...] = (
    "WenQuanYi Micro Hei",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Droid Sans Fallback",
)

# The appendices of report.md and report.docx: per-village vaccination table and chart. As
# GB/T 9704 sets them: 附件1 on a line of its own, the title centred below it.
APPENDIX_LABEL = "附件{number}"
APPENDIX_TITLE = "各村（社区）新冠病毒疫苗接种情况"
APPENDIX_COLUMNS: tuple[str, ...] = (
    "村（社区）",
    "人口基数",
    "60岁以上人口",
    "第一针剂次",
    "第一针覆盖率",
    "第二针剂次",
    "第二针覆盖率",
    "18岁以上人口",
    "加强针剂次",
    "加强针接种率",
)
APPENDIX_TOTAL_ROW = "合计"
CHART_TITLE = "{township}各村（社区）60岁以上人群第一针覆盖率（截至{date}）"
CHART_AXIS_LABEL = "覆盖率（%）"
CHART_TARGET_LABEL = "目标"
CHART_CAPTION = "图：各村（社区）60岁以上人群第一针覆盖率"

# Data-quality suites (expectations/*.yaml) -> what the quality page calls them.
QUALITY_SUITE_LABELS: dict[str, str] = {
    "persons": "人员（人口花名册汇总）",
    "doses": "接种剂次",
    "publicity": "宣传工作台账",
    "verification": "大数据核查台账",
    "grid": "网格化管理台账",
    "key_places": "重点场所检查记录",
    "meetings": "会议及文件台账",
    "demonstration": "示范村（社区）创建台账",
    "reserves": "医疗资源及物资储备",
    "submissions": "台账报送情况",
    "dose_sequence": "接种剂次顺序（跨表）",
    "age_band_population": "分年龄组接种人数与在册人数（跨表）",
    "activity_outliers": "各村（社区）工作量异常值",
    "report_metrics": "报告数据",
}

# A failed warning -> the sentence the report's 数据说明 and the quality page print;
# ``{count}`` is the number of failing rows (records, villages or submissions).
QUALITY_NOTES: dict[str, str] = {
    "unknown_values": "{subjects}。",
    "unknown_values_share": (
        "未能识别的记录超过相应来源记录的规定比例，数字明显偏低，报告暂不生成：{subjects}。"
        "请更正台账，或在镇配置文件的 vocabulary 中补充这种写法后重新运行。"
    ),
    "village_figures_fell": (
        "{subjects}的常住人口或接种剂次不足上次报告的一半，可能有台账被空表或不全的表替换，"
        "或被移出收件箱；请核实。如确属实，请以 --accept-fall 村名 重新运行一次。"
    ),
    "age_out_of_range": (
        "人口花名册中有{count}人按身份证号码推算的年龄不在0至120岁之间，需核实身份证号码。"
    ),
    "publicity_outside_period": (
        "宣传工作台账中有{count}条记录的日期不在报告期内或晚于截止日期，未计入宣传数据。"
    ),
    "verification_outside_period": (
        "大数据核查台账中有{count}条记录的推送日期不在报告期内或晚于截止日期。"
    ),
    "verification_completed_before_push": (
        "大数据核查台账中有{count}条记录的核查完成日期早于推送日期。"
    ),
    "grid_code_repeated": "网格化管理台账中有{count}条记录的网格编号重复，所辖户数可能重复计算。",
    "grid_visited_above_households": "网格化管理台账中有{count}个网格的走访户数多于所辖户数。",
    "grid_outside_period": "网格化管理台账中有{count}条记录的走访日期不在报告期内或晚于截止日期。",
    "key_place_outside_period": (
        "重点场所检查记录中有{count}条记录的检查日期不在报告期内或晚于截止日期。"
    ),
    "meeting_outside_period": "会议及文件台账中有{count}条记录的日期不在报告期内或晚于截止日期。",
    "meeting_repeated": "会议及文件台账中有{count}条记录的日期和名称重复。",
    "document_number_repeated": "会议及文件台账中有{count}条记录的文号重复。",
    "reserve_unit_unknown": (
        "医疗资源及物资储备表中有{count}条记录的单位与乡镇登记的医疗机构名称不符。"
    ),
    "reserve_after_cutoff": (
        "医疗资源及物资储备表中有{count}条记录的日期晚于截止日期，未作为现有储备。"
    ),
    "reserve_repeated": "医疗资源及物资储备表中有{count}条记录的单位和日期重复。",
    "submission_missing": "各村（社区）应报台账中有{count}份未收到，相关数据未包含这些台账。",
    "submission_late": "各村（社区）应报台账中有{count}份晚于报送截止日期报送。",
    "dose2_without_dose1": "{count}个村（社区）有只登记第二针、没有第一针记录的接种人员。",
    "dose2_before_dose1": "{count}个村（社区）有第二针接种日期早于第一针的记录。",
    "booster_without_primary": "{count}个村（社区）有接种了加强针但第一、二针记录不全的人员。",
    "booster_before_dose2": "{count}个村（社区）有加强针接种日期早于第二针的记录。",
    "age_band_vaccinated_above_population": (
        "按村（社区）分年龄组核对，有{count}个年龄组的第一针接种人数多于花名册在册人数，"
        "花名册可能未登记全部常住人员。"
    ),
    "activity_outlier": (
        "有{count}项村（社区）工作量（按每千名在册人员计）明显偏离其他村（社区），需核实填报是否有误。"
    ),
    "dose2_above_dose1": "60岁以上人群第二针接种人数多于第一针接种人数。",
    "visited_above_households": "网格走访户数合计多于所辖户数合计。",
}

# How the report's text marks its outline, so report.md and report.docx can style each line:
# 一、 first-level headings, （一） second-level ones, 附： the notes at the end.
HEADING_1_PATTERN = r"^[一二三四五六七八九十]+、"
HEADING_2_PATTERN = r"^（[一二三四五六七八九十]+）"
NOTE_HEADING_PATTERN = r"^附："
# A salutation line (各位代表，同志们：) ends with a colon and is set flush left.
SALUTATION_END = "："
# The page number of report.docx, as official documents write it: — 1 —.
PAGE_NUMBER_DASH = "—"

# Family names, for the personal-data mask (transforms/masking.py): a stretch of two to four
# unknown Han characters is taken for a resident's name only when it starts with one, so
# that a file called 镇政府/接种数据备份(传输中断).xlsx stays readable. The common single
# surnames (they cover nearly every resident; rare ones that mostly begin ordinary words,
# such as 管 or 路, are left out) and the compound ones.
SURNAMES: frozenset[str] = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏"
    "吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱"
    "严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁"
    "尚符舒阮柯纪梅童凌毕季裴霍涂苗谷盛曲翁冉骆蓝游辛靳柴蒙鲍华喻祁滕饶牟艾穆卓吉缪项芦麦褚娄窦戚"
    "岑卜晏卫柏瞿桂佟臧闵苟邬卞姬仇栾隋刁沙荣巫寇桑郎甄丛仲虞敖巩佘苑邝匡鞠荆冀郁胥南班储栗燕楚鄢"
    "劳谌奚粟冼蔺楼厉伊仝郜阚帅屠豆朴盖练廉禹祖漆巴卿狄索宣晋容敬扈晁芮阙浦戈伏鹿薄邸雍辜羊阿乌母"
    "裘亓修邰赫杭况鲜逯茹诸慕嵇哈湛宾戎勾茅揭尉冶檀阴昝尧"
)
COMPOUND_SURNAMES: tuple[str, ...] = (
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文",
    "司徒", "夏侯", "令狐", "端木", "独孤", "南宫", "西门", "万俟", "呼延",
)  # fmt: skip

# The personal-data mask's words (transforms/masking.py).
# What stands for a name: the number of characters tells a clerk which cell to look at.
NAME_PLACEHOLDER = "某某（{n}字）"
# The shortest and longest run of Han characters taken for a name.
NAME_LENGTHS = range(2, 5)
# Words of file names, sheet names and clerks' notes that are not names.
NOT_NAMES: tuple[str, ...] = (
    "某某", "汇总", "明细", "名单", "名册", "花名册", "记录", "数据", "统计", "报表", "副本",
    "新建", "修改", "修订", "最新", "最终", "终版", "最终版", "更新", "补充", "核对", "核实",
    "上报", "报送", "台账", "疫情", "防控",
    "疫苗", "接种", "新冠", "宣传", "会议", "文件", "全镇", "全村", "本村", "我镇", "备注",
    "其他", "不详", "暂无", "同上", "已改", "正确", "错误", "重复", "作废", "男", "女",
)  # fmt: skip
# Villagers' groups (一组, 第三组, 二队): a name glued to one is still cut out.
GROUP_WORDS: tuple[str, ...] = tuple(
    f"{first}{numeral}{unit}" for first in ("", "第") for numeral in "一二三四五六七八九十"
    for unit in ("组", "队")
)  # fmt: skip
# Last characters of places, organisations, documents and measures: such a word is no name.
NOT_NAME_ENDINGS: tuple[str, ...] = (
    "村", "组", "队", "镇", "乡", "县", "市", "区", "省", "院", "室", "所", "站", "局", "办",
    "委", "会", "部", "校", "园", "馆", "店", "场", "厂", "司", "厅", "堂", "寺", "庙", "楼",
    "栋", "号", "户", "表", "册", "单", "本", "版", "稿", "件", "针", "剂", "次", "份", "张",
    "条", "盒", "台", "个", "项", "批", "期", "年", "月", "日", "周", "天", "点", "处", "类",
)  # fmt: skip

# A run's output files as the office calls them, in the order the links list them
# (flows/artifacts.py); a file of a folder below by the stem of its name (feedback/石门村.xlsx).
OUTPUT_FILE_LABELS: dict[str, str] = {
    "report.docx": "报告（Word 文档）",
    "report.txt": "报告（文本）",
    "report.md": "报告（Markdown）",
    "office_note.txt": "数据说明（供办公室核对）",
    "quality/index.html": "数据质量页面",
    "quality/verdict.txt": "数据质量结论",
    "coverage_by_village.png": "各村（社区）接种覆盖率图",
    "ingest_summary.csv": "收件箱文件清单",
    "ingest_sheets.csv": "工作表清单",
    "refused_rows.csv": "被拒绝的行清单",
    "unknown_values.csv": "未能识别的填写值清单",
    "metrics.json": "报告数据（JSON）",
}
OUTPUT_FOLDER_LABELS: dict[str, str] = {"feedback": "{name}报送情况反馈表"}
# The files of such a folder in the report artifact's links: a title, then each by its stem.
OUTPUT_FOLDER_TITLES: dict[str, str] = {"feedback": "各单位报送情况反馈表"}
# The artifacts' links to the output files and the file server's pages (epireport/fileserver.py).
FILES_TEXTS: dict[str, str] = {
    "folder": "输出文件夹：{folder}",
    "links": "本次运行的文件：{links}",
    "served": (
        "链接在本机的 Prefect 界面（make ui）运行时可以打开，打开的是截至{cutoff}的已发布文件；"
        "同一截止日期再次运行后，打开的是最近一次运行的文件。"
    ),
    "not_served": (
        "此输出文件夹不在本机文件服务（epireport server --out）的范围内，请到上述文件夹中打开文件。"
    ),
    "table": "| 文件 | 内容 |",
    "page_title": "输出文件夹 {path}",
    "parent": "上一级",
    "not_found": "没有这个文件：它可能已被同一截止日期的新一次运行替换，或不在输出文件夹中。",
}
# Time zones under the name the office uses; any other zone is shown by its IANA name.
ZONE_LABELS: dict[str, str] = {
    "Asia/Shanghai": "北京时间", "Asia/Chongqing": "北京时间", "Asia/Harbin": "北京时间",
    "PRC": "北京时间",
}  # fmt: skip
# The nightly run (epireport/nightly.py): run names, the deployment's description, messages.
NIGHTLY_TEXTS: dict[str, str] = {
    "run_name": "{name}，截至{cutoff}，{start}（{zone}）开始",
    "county_name": "{county}全县汇总",
    "daily": "每天 {time}（{zone}）",
    "cron": "按 cron 行“{cron}”（{zone}）",
    "description": "{township}疫情防控专项工作报告，每晚运行：{when}。收件箱：{inbox}",
    "county_description": (
        "{county}各乡镇疫情防控专项工作报告及全县汇总，每晚运行：{when}。收件箱：{inbox}"
    ),
    "serving": (
        "每晚运行已启动：{deployment}，{when}。立即运行一次：prefect deployment run {deployment}；"
        "停止：Ctrl-C 或 SIGTERM"
    ),
    "stopping": "收到停止信号，正在停止每晚运行",
    "stopped": "每晚运行已停止",
    "server_gone": "Prefect 服务没有应答，每晚运行已直接停止（计划未暂停）",
    "county_artifact": "{county}全县汇总，截至{cutoff}",
    "county_ran": "本次生成报告的乡镇：{names}。",
    "county_kept": "沿用已发布报告的乡镇（收件箱文件、配置和程序均未变化）：{names}。",
    "none": "无",
}
# `epireport server` (`make ui`): what it says when it starts, and a port already taken.
SERVER_TEXTS: dict[str, str] = {
    "ui": "Prefect 界面：http://{host}:{port}（数据在 {home}）",
    "files": "输出文件：{url}/（即 {root}，只读）",
    "stop": "按 Ctrl-C 或发送 SIGTERM 停止",
    "port_taken": (
        "{host}:{port} 端口已被占用；请换一个端口（epireport server --files-port 端口号，"
        "或 make ui FILES_PORT=端口号）"
    ),
}
