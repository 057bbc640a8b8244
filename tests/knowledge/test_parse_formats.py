"""Word, PDF, HTML and Q&A sheets: each read on its own, and one SOP in every format."""

from __future__ import annotations

import html
import struct
import zlib
from pathlib import Path

import pytest

from knowledge.corpus import CORPUS_DIR, SOP_SUFFIXES, load_catalog, parse_file, picture_bytes
from knowledge.model import ParsedSource
from knowledge.parse_markdown import parse_markdown
from tests.knowledge import formats

SEED = CORPUS_DIR / "營業主管崗位職責.txt"


@pytest.fixture(scope="module")
def seed() -> ParsedSource:
    return parse_file(SEED, load_catalog())


@pytest.fixture(scope="module")
def seed_lines() -> list[str]:
    return [line for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]


def png(path: Path, size: int = 4) -> Path:
    """A small valid PNG (grey square), so pictures need no image library."""
    raw = b"".join(b"\x00" + b"\x80" * size for _ in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    return path


# -- one SOP in every format -----------------------------------------------------------


def test_formats_seed_layout_in_word_and_pdf_gives_the_text_files_steps(
    seed: ParsedSource, seed_lines: list[str], tmp_path: Path
) -> None:
    """A store's Word, PDF, Markdown or HTML copy of the seed, line for line: the same
    steps, with the same ids."""
    word = formats.write_plain_docx(seed_lines, tmp_path / "營業主管崗位職責.docx")
    pdf = formats.write_plain_pdf(seed_lines, tmp_path / "營業主管崗位職責.pdf")
    markdown = tmp_path / "營業主管崗位職責.md"
    markdown.write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    page = tmp_path / "營業主管崗位職責.html"
    paragraphs = "".join(f"<p>{html.escape(line)}</p>\n" for line in seed_lines)
    page.write_text(f"<html><body><main>{paragraphs}</main></body></html>", encoding="utf-8")
    for path in (word, pdf, markdown, page):
        parsed = parse_file(path, load_catalog())
        assert [s.id for s in parsed.steps] == [s.id for s in seed.steps], path.suffix
        assert formats.content(parsed.steps) == formats.content(seed.steps), path.suffix


def test_formats_structured_sop_gives_the_same_steps_in_every_format(
    seed: ParsedSource, tmp_path: Path
) -> None:
    """The packaged SOP written with headings as .md, .docx, .pdf and .html."""
    expected = formats.content(seed.steps)
    written = [
        formats.write_markdown(seed.steps, tmp_path / "sop.md"),
        formats.write_docx(seed.steps, tmp_path / "sop.docx"),
        formats.write_structured_pdf(seed.steps, tmp_path / "sop.pdf"),
        formats.write_html(seed.steps, tmp_path / "sop.html"),
    ]
    for path in written:
        parsed = parse_file(path, load_catalog())
        assert formats.content(parsed.steps) == expected, path.suffix
        # The seed's own numbering gaps are reported in every format.
        assert {lint.code for lint in parsed.lints} <= {"headings_by_size", "numbering_gap"}


# -- Word ----------------------------------------------------------------------------


def test_docx_styles_lists_tables_and_pictures(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("收銀規範", level=1)
    document.add_heading("收銀員", level=2)
    document.add_heading("1、開機", level=4)
    document.add_paragraph("上班前打開收銀機。")
    document.add_paragraph("溫馨提示：零錢不足時先找值班經理。")
    document.add_paragraph().add_run().add_picture(str(png(tmp_path / "till.png")))
    document.add_heading("常見問題", level=3)
    document.add_paragraph("點清現金", style="List Bullet")
    document.add_paragraph("簽交班表", style="List Bullet")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "問題", "解決方案"
    table.cell(1, 0).text, table.cell(1, 1).text = "掃碼槍沒反應", "換一個 USB 口"
    path = tmp_path / "cash.docx"
    document.save(str(path))

    steps = parse_file(path).steps
    assert [(s.role, s.section, s.label) for s in steps] == [
        ("收銀員", "", "1、開機"),
        ("收銀員", "常見問題", "點清現金"),
        ("收銀員", "常見問題", "簽交班表"),
        ("收銀員", "常見問題", "掃碼槍沒反應"),
    ]
    assert steps[0].body == ("上班前打開收銀機。",)
    assert steps[0].tips == ("零錢不足時先找值班經理。",)
    assert steps[0].pictures == ("cash.docx#word/media/image1.png",)
    assert steps[3].body == ("換一個 USB 口",)
    assert picture_bytes(tmp_path, steps[0].pictures[0]).startswith(b"\x89PNG")


def test_docx_numbered_list_keeps_its_numbers(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("Closing", level=1)
    for text in ("Count the till.", "Lock the door.", "Set the alarm."):
        document.add_paragraph(text, style="List Number")
    path = tmp_path / "close.docx"
    document.save(str(path))
    assert [s.label for s in parse_file(path).steps] == [
        "1. Count the till",  # an English heading reads as English does
        "2. Lock the door",
        "3. Set the alarm",
    ]


# -- PDF -----------------------------------------------------------------------------


def test_pdf_headings_from_type_size_and_wrapped_paragraphs(tmp_path: Path) -> None:
    long = "Wipe the scale, " * 30 + "then switch it off."
    path = formats.write_pdf(
        [
            ("h1", "Night shift"),
            ("h2", "Cashier"),
            ("h4", "1、Cash up"),
            ("p", long),
            ("tip", "Count twice."),
        ],
        tmp_path / "night.pdf",
    )
    parsed = parse_file(path)
    (step,) = parsed.steps
    assert (step.doc, step.role, step.label) == ("Night shift", "Cashier", "1. Cash up")
    assert step.body == (long.strip(),)
    assert step.tips == ("Count twice.",)
    assert parsed.lints[0].code == "headings_by_size"


def test_pdf_without_text_asks_for_a_text_export(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    path = tmp_path / "scan.pdf"
    page = canvas.Canvas(str(path))
    page.rect(50, 50, 200, 200, fill=1)  # a picture of a page, no text layer
    page.save()
    with pytest.raises(ValueError, match="has no text") as error:
        parse_file(path)
    assert error.value.code == "pdf_no_text"
    assert "掃描" in error.value.render("hant")


def test_pdf_encrypted_or_broken_gets_one_clear_reply(tmp_path: Path) -> None:
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen import canvas

    locked = tmp_path / "locked.pdf"
    page = canvas.Canvas(str(locked), encrypt=StandardEncryption("secret", canPrint=0))
    page.drawString(72, 720, "Open the store at nine.")
    page.save()
    with pytest.raises(ValueError) as error:
        parse_file(locked)
    assert error.value.code == "encrypted_pdf"

    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\n%%EOF garbage")
    with pytest.raises(ValueError) as error:
        parse_file(broken)
    assert error.value.code in {"broken_file", "pdf_no_text"}


# -- HTML ----------------------------------------------------------------------------


def test_html_saved_docs_page_with_boxes_and_pictures(tmp_path: Path) -> None:
    png(tmp_path / "desk.png")
    page = """<html><head><title>签到接待 | SOP</title></head><body>
    <nav><ul><li><a href="/">首页</a></li><li><a href="/x">别的</a></li></ul></nav>
    <main><h1>📝 签到接待 SOP</h1>
    <p><strong>一句话目标</strong>：在 30 分钟内完成入场核销。</p>
    <h3>到位准备</h3>
    <ul><li>与物料/场地确认签到台已就位。<img src="desk.png"></li>
        <li>准备纸质签到表与备用笔，防止系统故障。</li></ul>
    <div class="custom-block tip"><p class="custom-block-title">大型活动可拆分</p>
      <p>可拆为入口引导与签到核销两岗。</p></div>
    <table><tr><th>问题</th><th>解决方案</th></tr>
      <tr><td><b>签到系统崩溃</b></td><td>使用打印版签到表备份</td></tr></table>
    </main><footer>© 2026</footer></body></html>"""
    path = tmp_path / "check-in.html"
    path.write_text(page, encoding="utf-8")
    steps = parse_file(path).steps
    assert [(s.section, s.label) for s in steps] == [
        ("", "一句话目标"),
        ("到位准备", "与物料/场地确认签到台已就位"),
        ("到位准备", "准备纸质签到表与备用笔"),
        ("到位准备", "大型活动可拆分"),
        ("到位准备", "签到系统崩溃"),
    ]
    assert steps[0].doc == "签到接待 SOP"
    assert steps[1].pictures == ("desk.png",)
    assert steps[3].body == ("可拆为入口引导与签到核销两岗。",)
    assert "首页" not in " ".join(s.text for s in steps)


# -- Q&A sheets ----------------------------------------------------------------------


def test_sheet_xlsx_questions_become_alternates_of_their_answers(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["問題", "答案", "其他問法", "崗位", "備註"])
    sheet.append(
        ["客戶沒帶證件怎麼辦？", "請客戶出示其他有效證件。", "忘了帶身分證｜沒證件", "業務受理"]
    )
    sheet.append(["證件不見了", "請客戶出示其他有效證件。", None, "業務受理"])
    sheet.append(["幾點開門？", "每天九點開門。", None, None, "假日十點"])
    sheet.append(["沒有答案的問題", None, None, None])
    path = tmp_path / "faq.xlsx"
    book.save(path)

    parsed = parse_file(path)
    first, second = parsed.steps
    assert (first.doc, first.role, first.title) == ("faq", "業務受理", "客戶沒帶證件怎麼辦？")
    assert first.body == ("請客戶出示其他有效證件。",)
    assert first.alternates == ("客戶沒帶證件怎麼辦？", "忘了帶身分證", "沒證件", "證件不見了")
    assert second.body == ("每天九點開門。", "備註：假日十點")
    assert [lint.code for lint in parsed.lints] == ["sheet_no_answer"]


def test_sheet_csv_without_column_names_reads_question_then_answer(tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_text("Where is the mop?,In the back room.\nWho opens?,The shift lead.\n", "utf-8")
    parsed = parse_file(path)
    assert [(s.title, s.body) for s in parsed.steps] == [
        ("Where is the mop?", ("In the back room.",)),
        ("Who opens?", ("The shift lead.",)),
    ]
    assert parsed.lints[0].code == "sheet_columns"


def test_formats_every_suffix_has_a_reader() -> None:
    assert {".txt", ".md", ".markdown", ".docx", ".pdf", ".html", ".htm", ".xlsx", ".csv"} == (
        SOP_SUFFIXES
    )


def test_docx_headings_made_by_hand_are_guessed_from_bold_and_size(tmp_path: Path) -> None:
    import docx
    from docx.shared import Pt

    document = docx.Document()

    def line(text: str, size: float | None = None, bold: bool = False) -> None:
        run = document.add_paragraph().add_run(text)
        run.bold = bold
        if size:
            run.font.size = Pt(size)

    line("開店作業規範", 18, bold=True)
    line("收銀台", 14, bold=True)
    line("開機", bold=True)
    line("上班前打開收銀機，檢查零錢是否足夠。")
    line("關機", bold=True)
    line("下班前清點現金，關閉收銀機。")
    path = tmp_path / "open.docx"
    document.save(str(path))
    parsed = parse_file(path)
    # Three levels and no step headings: a document with sections, not the role scheme.
    assert [(s.doc, s.role, s.section, s.title, s.body) for s in parsed.steps] == [
        ("開店作業規範", "", "開機", "上班前打開收銀機", ("上班前打開收銀機，檢查零錢是否足夠。",)),
        ("開店作業規範", "", "關機", "下班前清點現金", ("下班前清點現金，關閉收銀機。",)),
    ]
    assert parsed.lints[0].code == "headings_guessed"
    assert parsed.lints[0].parameters == {"count": "4"}


def test_pdf_headings_numbered_in_outline_form(tmp_path: Path) -> None:
    path = formats.write_pdf(
        [
            ("p", "第一章 收銀"),
            ("p", "1.1 開機"),
            ("p", "上班前打開收銀機，檢查零錢是否足夠。"),
            ("p", "1.2 交班"),
            ("p", "點清現金，簽交班表。"),
        ],
        tmp_path / "cash.pdf",
    )
    parsed = parse_file(path)
    assert [(s.doc, s.number, s.title, s.body) for s in parsed.steps] == [
        ("第一章 收銀", "1.1", "開機", ("上班前打開收銀機，檢查零錢是否足夠。",)),
        ("第一章 收銀", "1.2", "交班", ("點清現金，簽交班表。",)),
    ]


def test_html_of_a_real_docs_site_gives_the_steps_of_its_markdown(tmp_path: Path) -> None:
    """The 13 VitePress pages, as the browser saves them, read like their Markdown."""
    from tests.knowledge.test_parse_markdown_sites import SHARED, pages

    if not (SHARED / "source.txt").exists():
        pytest.skip("no sopdev source here")
    from_markdown = from_html = 0
    for name, text in pages(SHARED / "source.txt"):
        path = tmp_path / name.replace(".md", ".html")
        path.write_text(formats.render_site_page(text), encoding="utf-8")
        from_html += len(parse_file(path).steps)
        from_markdown += len(parse_markdown(text, source=name).steps)
    assert from_html == from_markdown


def test_sheet_workbook_of_several_sheets_gives_a_section_each(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    first = book.active
    first.title = "收銀"
    first.append(["question", "answer"])
    first.append(["零錢不夠怎麼辦？", "找值班經理換零。"])
    notes = book.create_sheet("說明")
    notes.append(["這份表格由門市維護。"])
    stock = book.create_sheet("盤點")
    stock.append(["問題", "答案"])
    stock.append(["幾點盤點？", "每月最後一天關店後。"])
    path = tmp_path / "faq.xlsx"
    book.save(path)
    parsed = parse_file(path)
    assert [(s.section, s.title) for s in parsed.steps] == [
        ("收銀", "零錢不夠怎麼辦？"),
        ("盤點", "幾點盤點？"),
    ]
    assert [lint.code for lint in parsed.lints] == ["sheet_skipped"]


def test_docx_protected_by_a_password_or_old_format_gets_its_own_reply(tmp_path: Path) -> None:
    path = tmp_path / "locked.docx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)  # an OLE file
    with pytest.raises(ValueError) as error:
        parse_file(path)
    assert error.value.code == "protected_office"
    assert "密碼" in error.value.render("hant")


def test_pdf_whose_glyphs_map_to_no_characters_has_no_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pdfminer writes a glyph it cannot map as "(cid:97)": mostly those, there is no text."""
    from knowledge import parse_pdf

    def lines_of(text: str) -> list[parse_pdf.Line]:
        return [parse_pdf.Line(text, 11.0, 72, 500, 100, 111, 0)]

    path = tmp_path / "glyphs.pdf"
    path.write_bytes(b"%PDF-1.4")
    monkeypatch.setattr(parse_pdf, "read_lines", lambda *_: (lines_of("(cid:97)(cid:98)x"), ""))
    with pytest.raises(ValueError, match="has no text"):
        parse_pdf.parse_pdf(path)
    monkeypatch.setattr(parse_pdf, "read_lines", lambda *_: (lines_of("• (cid:9)Lock up."), ""))
    assert parse_pdf.parse_pdf(path).steps[0].text == "Lock up."  # a bullet item


def test_docx_text_boxes_are_read_once(tmp_path: Path) -> None:
    import docx
    from docx.oxml import parse_xml

    document = docx.Document()
    document.add_heading("Opening", level=1)
    document.add_heading("1、Flow", level=4)
    anchor = document.add_paragraph("Follow the chart.")
    box = (
        '<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:pict><w:txbxContent><w:p><w:r><w:t>Unlock the door</w:t></w:r></w:p>"
        "</w:txbxContent></w:pict></w:r>"
    )
    anchor._p.append(parse_xml(box))
    anchor._p.append(parse_xml(box))  # Word's fallback copy of the same box
    path = tmp_path / "flow.docx"
    document.save(str(path))
    (step,) = parse_file(path).steps
    assert step.body == ("Follow the chart.", "Unlock the door")


def test_docx_second_level_headings_without_step_headings_are_sections(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("門市作業手冊", level=1)
    document.add_heading("開店作業", level=2)
    document.add_paragraph("打開大門與燈光。", style="List Number")
    document.add_paragraph("收銀機開機。", style="List Number")
    path = tmp_path / "manual.docx"
    document.save(str(path))
    assert [(s.role, s.section, s.label) for s in parse_file(path).steps] == [
        ("", "開店作業", "1、打開大門與燈光"),
        ("", "開店作業", "2、收銀機開機"),
    ]


def test_plain_text_not_in_the_seeds_layout_reads_lines_lists_and_headings(
    tmp_path: Path,
) -> None:
    path = tmp_path / "open.txt"
    path.write_text(
        "開店流程\n\n1、打開大門與燈光\n2、收銀機開機，清點零錢\n溫馨提示：零錢不足找店長\n\n"
        "關店流程\n1、關燈\n",
        encoding="utf-8",
    )
    steps = parse_file(path).steps
    assert [(s.doc, s.section, s.label, s.tips) for s in steps] == [
        ("開店流程", "", "1、打開大門與燈光", ()),
        ("開店流程", "", "2、收銀機開機", ("零錢不足找店長",)),
        ("開店流程", "關店流程", "1、關燈", ()),
    ]
