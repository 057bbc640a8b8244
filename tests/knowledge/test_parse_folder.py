"""A docs site or wiki export sent as a zip: unpacked safely, every page read, pictures kept."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from knowledge.corpus import parse_folder
from knowledge.reading import SopFileError, unpack_archive
from tests.knowledge.test_parse_formats import png
from tests.knowledge.test_parse_markdown_sites import SHARED, SOPS, hand_made_steps, pages


def zip_site(source: Path, archive: Path) -> Path:
    """The pages of a ``source`` dump zipped under their own paths, as a repository has them."""
    import re

    text = source.read_text(encoding="utf-8")
    paths = re.findall(r"^===== (\S+) \(commit", text, re.MULTILINE)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path, (_, page) in zip(paths, pages(source), strict=True):
            bundle.writestr(path, page)
    return archive


@pytest.mark.parametrize(
    "source, hand_made",
    [
        (SHARED / "source.txt", SHARED / "sopdev.md"),
        (SOPS / "tku-b212-lab-office" / "source.md", SOPS / "tku-b212-lab-office" / "sop.md"),
    ],
    ids=["sopdev", "tku-b212"],
)
def test_folder_of_a_docs_site_reads_every_page(
    tmp_path: Path, source: Path, hand_made: Path
) -> None:
    if not source.exists():
        pytest.skip(f"{source} is not here")
    folder = unpack_archive(zip_site(source, tmp_path / "site.zip"), tmp_path / "site")
    parsed = parse_folder(folder, document="Handbook")
    steps = [step for page in parsed for step in page.steps]
    expected = hand_made_steps(hand_made)
    assert expected * 0.95 <= len(steps) <= expected * 1.25
    assert {step.doc for step in steps} == {"Handbook"}
    assert len({page.source for page in parsed}) == len(parsed)  # two index.md stay apart


def test_folder_pictures_are_kept_relative_to_the_site(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "docs").mkdir(parents=True)
    (site / "assets").mkdir()
    png(site / "assets" / "sata.png")
    (site / "docs" / "copy.md").write_text(
        "## 準備\n\n1. 確認硬碟號碼。\n\n![SATA](../assets/sata.png)\n", encoding="utf-8"
    )
    (site / ".git").mkdir()
    (site / ".git" / "notes.md").write_text("# not a page\n", encoding="utf-8")
    (step,) = [step for page in parse_folder(site) for step in page.steps]
    assert step.pictures == ("assets/sata.png",)


@pytest.mark.parametrize("member", ["../evil.md", "/etc/evil.md", "a/../../evil.md", "C:/evil.md"])
def test_folder_archive_with_an_unsafe_name_is_refused_whole(tmp_path: Path, member: str) -> None:
    archive = tmp_path / "site.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("good.md", "# ok\n")
        bundle.writestr(member, "# evil\n")
    with pytest.raises(SopFileError) as error:
        unpack_archive(archive, tmp_path / "out")
    assert error.value.code == "unsafe_name"
    assert not (tmp_path / "out").exists() and not (tmp_path / "evil.md").exists()


def test_folder_archive_zip_bomb_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "site.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("page.md", b"\0" * 20_000_000)
    with pytest.raises(SopFileError) as error:
        unpack_archive(archive, tmp_path / "out")
    assert error.value.code == "zip_bomb"
    assert not (tmp_path / "out").exists()


def site_zip(tmp_path: Path) -> bytes:
    archive = tmp_path / "night-shift.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("docs/index.md", "---\ntitle: 夜班手冊\n---\n\n# 夜班手冊\n\n歡迎。\n")
        bundle.writestr(
            "docs/cash.md", "# 收銀\n\n## 開機\n\n- 打開收銀機。\n\n![鍵盤](../assets/keys.png)\n"
        )
        bundle.write(png(tmp_path / "keys.png"), "assets/keys.png")
    return archive.read_bytes()


def test_folder_zipped_site_imports_as_one_document_with_its_pictures(tmp_path: Path) -> None:
    from knowledge.corpus import picture_bytes
    from knowledge.updates import ManagedCorpus

    corpus = ManagedCorpus(tmp_path / "managed")
    before = len(corpus.steps())
    proposal = corpus.propose("night-shift.zip", site_zip(tmp_path))
    assert (proposal.site, proposal.steps, proposal.replaces) == (True, 2, False)
    assert len(proposal.changes.added) == 2
    corpus.apply(proposal)
    steps = corpus.steps()
    assert len(steps) == before + 2
    (cash,) = [step for step in steps if step.role == "收銀"]
    assert (cash.doc, cash.section, cash.text) == ("夜班手冊", "開機", "打開收銀機。")
    assert cash.pictures == ("night-shift/assets/keys.png",)
    assert picture_bytes(corpus.directory, cash.pictures[0]).startswith(b"\x89PNG")
    with pytest.raises(SopFileError):
        picture_bytes(corpus.directory, "../../etc/passwd")

    again = corpus.propose("night-shift.zip", site_zip(tmp_path))
    assert again.replaces and not again.changes.any


def test_folder_zipped_site_with_an_unsafe_name_leaves_the_served_sop(tmp_path: Path) -> None:
    from knowledge.updates import ManagedCorpus, UpdateError

    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("../../evil.md", "# evil\n\n#### 1、x\n\ny\n")
    corpus = ManagedCorpus(tmp_path / "managed")
    corpus.seed()
    served = [step.id for step in corpus.steps()]
    with pytest.raises(UpdateError) as error:
        corpus.propose("evil.zip", archive.read_bytes())
    assert error.value.code == "unsafe_name"
    assert [step.id for step in corpus.steps()] == served
    assert not (tmp_path / "evil.md").exists() and not (tmp_path / "managed" / "evil.md").exists()
