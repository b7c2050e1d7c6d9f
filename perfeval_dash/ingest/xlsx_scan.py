"""A streaming look at an .xlsx's zip parts before openpyxl parses them: sizes and counts against limits,
which sheets hold formulas, which sheets, rows and columns are hidden. Nothing is parsed as a whole in memory."""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field

CHUNK = 1 << 20  # bytes read from a zip part at a time
_TAIL = 4096  # bytes of the previous chunk kept, so a token or a <row …> tag split across chunks is still seen
# Element starts, with or without a namespace prefix (<c …> or <x:c …>). Counting the bare prefix over-counts a
# little (<col>, <comment>, <rowBreaks>, "a:c" in text), never under-counts: a limit can only bite early.
_CELL = (b"<c", b":c")
_ROW = (b"<row", b":row")
_SHARED_STRING = (b"<si", b":si")
_FORMULA = (b"<f>", b"<f ", b"<f/", b":f>", b":f ", b":f/")
_TAG = (b"<",)  # every XML tag starts with one: a bound on the elements openpyxl parses, whatever they are
_HIDDEN_ROW = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row\s[^>]*?\bhidden\s*=\s*[\"'](?:1|true)[\"'][^>]*>")
_ROW_NUMBER = re.compile(rb"\sr\s*=\s*[\"'](\d+)[\"']")
_HIDDEN_COL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?col\s[^>]*?\bhidden\s*=\s*[\"'](?:1|true)[\"'][^>]*>")
_COL_SPAN = (re.compile(rb"\smin\s*=\s*[\"'](\d+)[\"']"), re.compile(rb"\smax\s*=\s*[\"'](\d+)[\"']"))
_NAMES_PART_MAX = 1 << 20  # xl/workbook.xml and its rels are parsed for sheet names only up to this size (a few KB)


@dataclass(frozen=True)
class Limits:
    """What a workbook may hold before openpyxl is asked to read it (declared in workbook_reader)."""

    unzipped_bytes: int
    shared_strings: int
    cells: int  # in the whole workbook
    tags: int  # XML tags in the whole workbook
    rows: int  # per sheet
    rows_above: int  # title and header rows allowed per sheet on top of `rows`


class OverLimit(Exception):
    """A part of the workbook is larger than a limit; `message` says which, in Chinese; `sheet` when known."""

    def __init__(self, message: str, sheet: str | None = None):
        self.message, self.sheet = message, sheet
        super().__init__(message)


@dataclass
class SheetPart:
    """One worksheet part: its sheet name and state (from xl/workbook.xml), and what the scan found in it."""

    name: str | None
    state: str = "visible"
    cells: int = 0
    rows: int = 0
    formulas: bool = False
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[tuple[int, int]] = field(default_factory=set)  # (first, last) 1-based column numbers

    def col_hidden(self, number: int) -> bool:
        """Whether the 1-based column `number` is hidden in Excel."""
        return any(first <= number <= last for first, last in self.hidden_cols)


@dataclass
class Scan:
    """What the scan found: worksheet parts by part name, shared strings and cells in the whole file."""

    parts: dict[str, SheetPart]
    shared_strings: int = 0
    cells: int = 0
    tags: int = 0

    @property
    def has_formulas(self) -> bool:
        return any(p.formulas for p in self.parts.values())

    def sheet(self, name: str) -> SheetPart | None:
        """The scanned part of the sheet with this name, or None."""
        return next((p for p in self.parts.values() if p.name == name), None)


def _resolve(target: str) -> str:
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _elements(f) -> object:
    """(local name, attributes) of each element of an XML stream; parsed elements are dropped as it goes."""
    open_elements = []
    for event, el in ET.iterparse(f, events=("start", "end")):
        if event == "start":
            open_elements.append(el)
            yield _local(el.tag), el.attrib
        else:
            open_elements.pop()
            if open_elements:
                del open_elements[-1][-1]  # at its end an element is its parent's last child


def sheet_parts(z: zipfile.ZipFile) -> dict[str, SheetPart]:
    """Worksheet part name -> its sheet, through xl/workbook.xml and xl/_rels/workbook.xml.rels (streamed)."""
    if any(z.getinfo(n).file_size > _NAMES_PART_MAX for n in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")):
        return {}
    with z.open("xl/_rels/workbook.xml.rels") as f:
        targets = {
            a.get("Id"): _resolve(a["Target"]) for tag, a in _elements(f) if tag == "Relationship" and a.get("Target")
        }
    parts: dict[str, SheetPart] = {}
    with z.open("xl/workbook.xml") as f:
        for tag, a in _elements(f):
            rid = next((v for k, v in a.items() if _local(k) == "id"), None) if tag == "sheet" else None
            if rid in targets:
                parts[targets[rid]] = SheetPart(a.get("name"), a.get("state") or "visible")
    return parts


def _new(buf: bytes, tail: bytes, tokens: tuple[bytes, ...]) -> int:
    """Occurrences of the tokens in tail + chunk that were not already wholly inside the tail (counted before)."""
    return sum(buf.count(t) - tail.count(t) for t in tokens)


def _hidden_rows(buf: bytes) -> set[int]:
    if b"hidden" not in buf:
        return set()
    return {int(m.group(1)) for tag in _HIDDEN_ROW.finditer(buf) if (m := _ROW_NUMBER.search(tag.group(0)))}


def _hidden_cols(buf: bytes) -> set[tuple[int, int]]:
    if b"hidden" not in buf:
        return set()
    spans = set()
    for tag in _HIDDEN_COL.finditer(buf):
        lo, hi = (m.group(1) if (m := p.search(tag.group(0))) else None for p in _COL_SPAN)
        if lo is not None:
            spans.add((int(lo), int(hi or lo)))
    return spans


class _Scanner:
    """Reads every part once, in chunks, keeping running counts and raising OverLimit as soon as one is passed."""

    def __init__(self, z: zipfile.ZipFile, limits: Limits, parts: dict[str, SheetPart]):
        self.z, self.limits, self.result, self.read = z, limits, Scan(parts), 0

    def part(self, info: zipfile.ZipInfo) -> None:
        sheet = self.result.parts.get(info.filename)
        if sheet is None and info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
            sheet = self.result.parts.setdefault(info.filename, SheetPart(None))
        tail = b""
        with self.z.open(info) as f:  # reading to the end also checks the part's CRC
            while chunk := f.read(CHUNK):
                buf = tail + chunk
                self.chunk(len(chunk), buf, tail, sheet)
                tail = buf[-_TAIL:]

    def chunk(self, size: int, buf: bytes, tail: bytes, sheet: SheetPart | None) -> None:
        lim, res = self.limits, self.result
        self.read += size
        if self.read > lim.unzipped_bytes:
            raise OverLimit(f"工作簿解压后超过上限 {lim.unzipped_bytes // 1048576} MB，拒绝读取；请拆分后分批导入")
        res.tags += _new(buf, tail, _TAG)
        if res.tags > lim.tags:
            raise OverLimit(
                f"XML 标记超过上限 {lim.tags:,} 个（文件结构异常复杂），拒绝读取；请在 Excel 中另存后重试，"
                "或拆分后分批导入"
            )
        res.shared_strings += _new(buf, tail, _SHARED_STRING)
        if res.shared_strings > lim.shared_strings:
            raise OverLimit(f"共享字符串（不同的文字）超过上限 {lim.shared_strings:,} 个，拒绝读取；请拆分后分批导入")
        cells = _new(buf, tail, _CELL)
        res.cells += cells
        where = sheet.name if sheet is not None else None
        if res.cells > lim.cells:
            raise OverLimit(f"单元格超过上限 {lim.cells:,} 个（全部工作表合计），拒绝读取；请拆分后分批导入", where)
        if sheet is not None:
            sheet.cells += cells
            sheet.rows += _new(buf, tail, _ROW)
            if sheet.rows > lim.rows + lim.rows_above:
                raise OverLimit(f"行数超过上限 {lim.rows:,} 行，拒绝读取；请拆分后分批导入", where)
            sheet.formulas = sheet.formulas or any(t in buf for t in _FORMULA)
            sheet.hidden_rows |= _hidden_rows(buf)
            sheet.hidden_cols |= _hidden_cols(buf)


def scan(z: zipfile.ZipFile, limits: Limits) -> Scan:
    """Every part of the zip read once in chunks; OverLimit as soon as a limit is passed."""
    declared = sum(i.file_size for i in z.infolist())
    if declared > limits.unzipped_bytes:
        raise OverLimit(
            f"工作簿解压后过大（{declared / 1048576:.0f} MB），上限为 {limits.unzipped_bytes // 1048576} MB，"
            "拒绝读取；请拆分后分批导入"
        )
    try:
        parts = sheet_parts(z)
    except (KeyError, ET.ParseError):
        parts = {}  # openpyxl will say the workbook is damaged; the limits below hold all the same
    scanner = _Scanner(z, limits, parts)
    for info in z.infolist():
        scanner.part(info)
    return scanner.result
