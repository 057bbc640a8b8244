"""Files that are not SOPs, or are too big to be: one clear refusal each, nothing half-read."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from knowledge.corpus import parse_file
from knowledge.reading import ImportLimits, SopFileError
from knowledge.updates import ManagedCorpus, UpdateError
from tests.knowledge.test_parse_formats import png


def refusal(path: Path, limits: ImportLimits | None = None) -> SopFileError:
    with pytest.raises(SopFileError) as error:
        parse_file(path, limits=limits)
    return error.value


def test_bad_file_of_50_mb_is_refused_before_it_is_read(tmp_path: Path) -> None:
    for name in ("big.md", "big.docx", "big.pdf", "big.xlsx"):
        path = tmp_path / name
        with path.open("wb") as file:
            file.truncate(50_000_000)  # sparse: nothing is written, nothing should be read
        error = refusal(path)
        assert (error.code, error.params["limit"]) == ("too_large", "20")
        assert "50 MB" in str(error)


def test_bad_zip_bomb_in_a_docx(tmp_path: Path) -> None:
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * 30_000_000)  # 30 MB packs to ~30 KB
    assert path.stat().st_size < 100_000
    assert refusal(path).code == "zip_bomb"


def test_bad_docx_that_is_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "fake.docx"
    path.write_bytes(b"this is not a Word file")
    error = refusal(path)
    assert (error.code, error.params["kind"]) == ("broken_file", "Word")


def test_bad_sheet_of_100000_rows(tmp_path: Path) -> None:
    csv_path = tmp_path / "faq.csv"
    csv_path.write_text(
        "question,answer\n" + "".join(f"q{i},a{i}\n" for i in range(100_000)), "utf-8"
    )
    assert refusal(csv_path).params["what"] == "rows"

    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["question", "answer"])
    for i in range(100_000):
        sheet.append([f"q{i}", f"a{i}"])
    xlsx_path = tmp_path / "faq.xlsx"
    book.save(xlsx_path)
    assert refusal(xlsx_path).code == "too_many"


def test_bad_invalid_utf8_says_on_which_line(tmp_path: Path) -> None:
    path = tmp_path / "big5.md"
    path.write_bytes("# 規範\n\n第一行\n".encode() + "第二行".encode("big5"))
    error = refusal(path)
    assert (error.code, error.params["line"]) == ("not_utf8", 4)
    assert "UTF-8" in error.render("hant")


def test_bad_100000_headings(tmp_path: Path) -> None:
    path = tmp_path / "headings.md"
    path.write_text("# SOP\n\n" + "".join(f"## 角色 {i}\n\n" for i in range(100_000)), "utf-8")
    error = refusal(path)
    assert (error.code, error.params["what"]) == ("too_many", "headings")


def test_bad_picture_of_30_mb_beside_the_file(tmp_path: Path) -> None:
    with (tmp_path / "huge.png").open("wb") as file:
        file.truncate(30_000_000)
    path = tmp_path / "sop.md"
    path.write_text("# 規範\n\n#### 1、開門\n\n先開燈。\n\n![門](huge.png)\n", "utf-8")
    assert refusal(path).code == "picture_too_large"


def test_bad_picture_of_30_mb_inside_a_docx(tmp_path: Path) -> None:
    import docx

    picture = png(tmp_path / "huge.png")
    with picture.open("ab") as file:
        file.write(os.urandom(30_000_000))  # after IEND: still a picture, of 30 MB
    document = docx.Document()
    document.add_heading("規範", level=1)
    document.add_paragraph().add_run().add_picture(str(picture))
    path = tmp_path / "sop.docx"
    document.save(str(path))
    # Over the 20 MB file limit too: allow bigger files to meet the picture limit.
    assert refusal(path, ImportLimits(max_file_bytes=50_000_000)).code == "picture_too_large"


def test_bad_picture_paths_outside_the_folder_are_not_kept(tmp_path: Path) -> None:
    (tmp_path / "ok.png").write_bytes(b"\x89PNG")
    path = tmp_path / "sop.md"
    path.write_text(
        "# 規範\n\n#### 1、開門\n\n先開燈。\n\n![a](../../etc/passwd) ![b](/etc/hosts)"
        " ![c](ok.png) ![d](gone.png) ![e](https://example.com/e.png)\n",
        "utf-8",
    )
    parsed = parse_file(path)
    assert parsed.steps[0].pictures == ("ok.png", "https://example.com/e.png")
    codes = [lint.code for lint in parsed.lints]
    assert codes.count("picture_outside") == 2 and codes.count("picture_missing") == 1


def test_bad_limits_are_settings(tmp_path: Path) -> None:
    limits = ImportLimits.from_env({"SOPBOT_IMPORT_MAX_MB": "0.001", "SOPBOT_IMPORT_MAX_ROWS": "5"})
    assert (limits.max_file_bytes, limits.max_rows) == (1000, 5)
    path = tmp_path / "sop.md"
    path.write_text("# 規範\n\n" + "開燈。" * 200, "utf-8")
    assert refusal(path, limits).code == "too_large"


@pytest.mark.parametrize(
    "name, content, code",
    [
        ("bomb.docx", "bomb", "zip_bomb"),
        ("broken.pdf", b"%PDF-1.4 not really", "broken_file"),
        ("big5.md", "# 規範\n".encode("big5"), "not_utf8"),
        ("faq.csv", b"just one column\n", "no_sheet_columns"),
    ],
)
def test_bad_import_leaves_the_served_sop_untouched(
    tmp_path: Path, name: str, content: bytes | str, code: str
) -> None:
    if content == "bomb":
        bomb = tmp_path / "bomb.docx"
        with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("word/document.xml", b"\0" * 30_000_000)
        content = bomb.read_bytes()
    corpus = ManagedCorpus(tmp_path / "managed")
    corpus.seed()
    before = sorted(p.name for p in corpus.directory.iterdir())
    served = [s.id for s in corpus.steps()]
    with pytest.raises(UpdateError) as error:
        corpus.propose(name, content)
    assert error.value.code == code
    assert sorted(p.name for p in corpus.directory.iterdir()) == before
    assert [s.id for s in corpus.steps()] == served
    assert not (tmp_path / "managed" / ".trial").exists()


@pytest.mark.parametrize("suffix", [".md", ".html", ".docx", ".pdf", ".xlsx", ".csv", ".txt"])
def test_bad_random_bytes_get_one_clear_reply(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"noise{suffix}"
    path.write_bytes(bytes(range(256)) * 20)
    assert refusal(path).code in {"not_utf8", "broken_file"}


def test_bad_html_nested_thousands_deep(tmp_path: Path) -> None:
    path = tmp_path / "deep.html"
    path.write_text("<div>" * 5000 + "開燈" + "</div>" * 5000, encoding="utf-8")
    assert refusal(path).code == "too_deep"
