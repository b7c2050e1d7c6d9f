"""The one-page brief (A4 PDF) of the current view, for a meeting: title, filters, snapshot, headline figures with
their signals, the page's main charts, the top rows of its key table, and the share link with a QR code.

Built with fpdf2 (CJK font embedded as a subset: Noto Sans CJK SC from Debian's fonts-noto-cjk), Plotly's static
export through kaleido (Debian's Chromium) and segno for the QR code.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import segno
from fpdf import FPDF

from perfeval_dash.ui import labels, signals
from perfeval_dash.ui.tiles import Tile

FONT_FILES = {"": "NotoSansCJK-Regular.ttc", "B": "NotoSansCJK-Bold.ttc"}
FONT_DIRS = (Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/noto-cjk"))
SIMPLIFIED_CHINESE = 2  # the SC face inside the Noto CJK collection (JP, KR, SC, TC, HK)
PAGE_W, MARGIN = 210.0, 12.0
TABLE_ROWS, TABLE_COLUMNS = 12, 6
_RGB = {s: tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for s, c in signals.COLORS.items()}
_SIGNAL_WORD = signals.WORDS


class BriefError(RuntimeError):
    """The brief cannot be made here (the CJK font is missing); the message says what to install."""


@dataclass
class Brief:
    """What one page puts into its brief."""

    title: str
    filters: str
    snapshot: str
    link: str
    tiles: list[Tile] = field(default_factory=list)
    figures: list = field(default_factory=list)  # Plotly figures, drawn in order
    table: pl.DataFrame | None = None  # the key table, columns in reading order (first rows are printed)
    table_title: str = ""
    synthetic: bool = False


def _font_path(style: str) -> Path:
    for d in FONT_DIRS:
        if (d / FONT_FILES[style]).is_file():
            return d / FONT_FILES[style]
    raise BriefError(
        "缺少中文字体 Noto Sans CJK（Debian 软件包 fonts-noto-cjk），无法生成简报；请运行 make test 或安装该软件包"
    )


def _png(fig, width: int = 1100, height: int | None = None) -> bytes:
    """A Plotly figure as PNG (kaleido drives Debian's Chromium)."""
    h = height or int(fig.layout.height or 360)
    return fig.to_image(format="png", width=width, height=max(200, min(h, 700)), scale=2)


class _Pdf(FPDF):
    def __init__(self):
        super().__init__(orientation="P", unit="mm", format="A4")
        for style in FONT_FILES:
            self.add_font("cjk", style, str(_font_path(style)), collection_font_number=SIMPLIFIED_CHINESE)
        self.set_auto_page_break(auto=False)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.add_page()

    def line_text(self, text: str, size: float, style: str = "", color=(0, 0, 0), h: float | None = None) -> None:
        self.set_font("cjk", style, size)
        self.set_text_color(*color)
        self.multi_cell(PAGE_W - 2 * MARGIN, h or size * 0.5, text, new_x="LMARGIN", new_y="NEXT")


def _tiles(pdf: _Pdf, tiles: list[Tile]) -> None:
    per_row, gap = 4, 2.0
    w = (PAGE_W - 2 * MARGIN - gap * (per_row - 1)) / per_row
    h = 15.0
    y0 = pdf.get_y() + 1
    for i, t in enumerate(tiles):
        x, y = MARGIN + (i % per_row) * (w + gap), y0 + (i // per_row) * (h + gap)
        pdf.set_draw_color(200, 200, 200)
        pdf.rect(x, y, w, h)
        pdf.set_xy(x + 1.5, y + 1.2)
        pdf.set_font("cjk", "", 7.5)
        pdf.set_text_color(90, 90, 90)
        word = f"［{_SIGNAL_WORD[t.signal]}］" if t.signal else ""
        pdf.cell(w - 3, 4, f"{t.label}{word}")
        pdf.set_xy(x + 1.5, y + 6.5)
        pdf.set_font("cjk", "B", 11)
        pdf.set_text_color(*(_RGB[t.signal] if t.signal else (0, 0, 0)))
        pdf.cell(w - 3, 6, t.value + (f"（同比 {t.delta}）" if t.delta else ""))
    rows = (len(tiles) + per_row - 1) // per_row
    pdf.set_y(y0 + rows * (h + gap))


def _table(pdf: _Pdf, df: pl.DataFrame, title: str) -> None:
    raw = df.select(df.columns[:TABLE_COLUMNS]).head(TABLE_ROWS)
    shown = pl.DataFrame({labels.label(c): [_cell(labels.text(v, c)) for v in raw[c].to_list()] for c in raw.columns})
    pdf.line_text(f"{title}（前 {shown.height} 行，共 {df.height:,} 行；完整数据请在网页上下载）", 9, "B", h=5)
    pdf.set_font("cjk", "", 7.5)
    pdf.set_text_color(0, 0, 0)
    widths = _widths(shown)
    with pdf.table(col_widths=widths, text_align="LEFT", line_height=4.2, width=PAGE_W - 2 * MARGIN) as t:
        t.row(list(shown.columns))
        for row in shown.iter_rows():
            t.row([_cell(v) for v in row])


def _widths(df: pl.DataFrame) -> list[float]:
    lengths = [max([len(str(c))] + [len(_cell(v)) for v in df[c].to_list()]) for c in df.columns]
    return [min(max(n, 4), 24) for n in lengths]


def _cell(text: str) -> str:
    return text if len(text) <= 40 else text[:39] + "…"


def build(brief: Brief, now: dt.datetime | None = None) -> bytes:
    """The brief as PDF bytes (one A4 page; charts are scaled to the space left)."""
    pdf = _Pdf()
    pdf.line_text(f"{brief.title} · 简报", 16, "B", h=9)
    pdf.line_text(brief.filters, 8.5, color=(60, 60, 60), h=4.5)
    made = (now or dt.datetime.now()).strftime("%Y年%m月%d日 %H:%M")
    pdf.line_text(f"{brief.snapshot}　｜　生成于 {made}", 8.5, color=(60, 60, 60), h=4.5)
    if brief.synthetic:
        pdf.line_text("注意：含模拟数据（演示用虚构数据），不是真实评价记录", 8.5, "B", color=_RGB[signals.WARN], h=4.5)
    _tiles(pdf, brief.tiles)
    bottom = 297 - MARGIN - 34  # the link and QR code go below
    table_h = 0 if brief.table is None else 10 + 4.6 * min(TABLE_ROWS, brief.table.height + 1)
    space = bottom - pdf.get_y() - table_h - 2
    if brief.figures and space > 30:
        per = space / len(brief.figures)
        for fig in brief.figures:
            png = _png(fig, height=int(per / (PAGE_W - 2 * MARGIN) * 1100))
            pdf.image(
                io.BytesIO(png), x=MARGIN, y=pdf.get_y() + 1, w=PAGE_W - 2 * MARGIN, h=per - 2, keep_aspect_ratio=True
            )
            pdf.set_y(pdf.get_y() + per)
    if brief.table is not None and brief.table.height:
        _table(pdf, brief.table, brief.table_title)
    _link(pdf, brief.link)
    return bytes(pdf.output())


def _link(pdf: _Pdf, link: str) -> None:
    y = 297 - MARGIN - 30
    qr = io.BytesIO()
    segno.make(link, error="m").save(qr, kind="png", scale=6, border=1)
    pdf.image(io.BytesIO(qr.getvalue()), x=PAGE_W - MARGIN - 30, y=y, w=30, h=30)
    pdf.set_xy(MARGIN, y + 2)
    pdf.set_font("cjk", "B", 9)
    pdf.set_text_color(0, 0, 0)
    pdf.cell(0, 5, "本视图的链接（扫码或输入打开同一组数字）", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", "", 7.5)
    pdf.set_text_color(21, 101, 192)
    pdf.multi_cell(PAGE_W - 2 * MARGIN - 34, 3.6, link, link=link)
