"""How long reading an SOP file takes, a line per format.

The packaged SOP (175 steps) is written in each format the way a store would have it:
as its own .txt, pasted line by line into Word or printed to PDF, and with headings as
Markdown, Word, PDF and a saved HTML page; its steps also make a Q&A sheet (.xlsx, .csv).
The real docs-site Markdown of ``../shared/eval/sopdev/source.txt`` (13 VitePress pages)
and the two handbooks in ``tests/sops`` are read page by page. Each line gives the steps
found, the file size and the median time of five reads through ``parse_file``.

Then a 30-page Word SOP with a photo on every page is imported as ``sopbot import --yes``
does it, from its bytes to a served index (target: 10 s): read and compared with the SOP
served (``propose``), made a new corpus version (``apply``), the index built and loaded
(``open_knowledge``), once as a store's only SOP and once beside the packaged one.

    .venv/bin/python benchmarks/bench_import.py          # every line
    .venv/bin/python benchmarks/bench_import.py --word   # only the Word import
"""

from __future__ import annotations

import csv
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge.corpus import CORPUS_DIR, load_catalog, parse_file, picture_bytes  # noqa: E402
from knowledge.model import Step  # noqa: E402
from knowledge.updates import ManagedCorpus, open_knowledge  # noqa: E402
from tests.knowledge import formats  # noqa: E402

SEED = CORPUS_DIR / "營業主管崗位職責.txt"
SITES = {
    "sopdev (VitePress)": ROOT.parent / "shared" / "eval" / "sopdev" / "source.txt",
    "tku-b212 (Astro)": ROOT / "tests" / "sops" / "tku-b212-lab-office" / "source.md",
    "yipin (VuePress)": ROOT / "tests" / "sops" / "yipin-fresh-night-shift" / "source.md",
}
SPLIT_RE = re.compile(r"^===== (?P<path>\S+) \(commit [0-9a-f]+\) =====$", re.MULTILINE)
RUNS = 5
WORD_PAGES = 30
WORD_TARGET_SECONDS = 10.0


def write_sheet(steps: tuple[Step, ...], path: Path) -> Path:
    rows = [["問題", "答案", "崗位"]]
    rows += [[s.label or s.text[:20], "\n".join(s.body), s.role] for s in steps if s.body]
    if path.suffix == ".csv":
        with path.open("w", encoding="utf-8", newline="") as file:
            csv.writer(file).writerows(rows)
        return path
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def timed(read: Callable[[], int]) -> tuple[int, float]:
    times, steps = [], 0
    for _ in range(RUNS):
        start = time.perf_counter()
        steps = read()
        times.append((time.perf_counter() - start) * 1000)
    return steps, statistics.median(times)


def line(name: str, steps: int, size: int, ms: float, note: str = "") -> None:
    extra = f"  ({note})" if note else ""
    print(f"{name:<28} {steps:>5} steps  {size / 1000:>8.1f} KB  {ms:>8.1f} ms{extra}")


def main() -> None:
    catalog = load_catalog()
    seed = parse_file(SEED, catalog)
    if "--word" in sys.argv[1:]:
        with tempfile.TemporaryDirectory() as folder:
            import_word(Path(folder), seed.steps)
        return
    lines = [text for text in SEED.read_text(encoding="utf-8").splitlines() if text.strip()]
    with tempfile.TemporaryDirectory() as folder:
        here = Path(folder)
        files = {
            ".txt (the seed)": SEED,
            ".docx, seed's lines": formats.write_plain_docx(lines, here / f"{SEED.stem}.docx"),
            ".pdf, seed's lines": formats.write_plain_pdf(lines, here / f"{SEED.stem}.pdf"),
            ".md with headings": formats.write_markdown(seed.steps, here / "sop.md"),
            ".docx with headings": formats.write_docx(seed.steps, here / "sop.docx"),
            ".pdf with headings": formats.write_structured_pdf(seed.steps, here / "sop.pdf"),
            ".html with headings": formats.write_html(seed.steps, here / "sop.html"),
            ".xlsx Q&A sheet": write_sheet(seed.steps, here / "faq.xlsx"),
            ".csv Q&A sheet": write_sheet(seed.steps, here / "faq.csv"),
        }
        print(f"reading the packaged SOP ({len(seed.steps)} steps), median of {RUNS}:")
        for name, path in files.items():
            steps, ms = timed(lambda path=path: len(parse_file(path, catalog).steps))
            same = formats.content(parse_file(path, catalog).steps) == formats.content(seed.steps)
            note = "same steps as the .txt" if same else ""
            line(name, steps, path.stat().st_size, ms, note)
        print("real docs-site Markdown, page by page:")
        for name, source in SITES.items():
            if not source.exists():
                print(f"{name:<28} (not here: {source})")
                continue
            parts = SPLIT_RE.split(source.read_text(encoding="utf-8"))
            pages = []
            for index in range(1, len(parts), 2):
                page = here / name.split()[0] / str(index) / parts[index].rsplit("/", 1)[-1]
                page.parent.mkdir(parents=True)
                page.write_text(parts[index + 1].strip("\n") + "\n", encoding="utf-8")
                pages.append(page)
            steps, ms = timed(lambda pages=pages: sum(len(parse_file(p).steps) for p in pages))
            hand_made = source.with_name("sopdev.md" if source.suffix == ".txt" else "sop.md")
            expected = sum(
                1
                for text in hand_made.read_text(encoding="utf-8").splitlines()
                if text.startswith("#### ")
            )
            size = sum(p.stat().st_size for p in pages)
            line(name, steps, size, ms, f"{len(pages)} pages; {expected} in the hand-made version")
        import_word(here, seed.steps)


def photo(path: Path, seed: int) -> Path:
    """An 800×600 JPEG with a photo's worth of detail (noise over a gradient), ~100 KB."""
    from PIL import Image, ImageDraw

    image = Image.effect_noise((800, 600), 40 + seed % 20).convert("RGB")
    draw = ImageDraw.Draw(image)
    for x in range(0, 800, 8):
        draw.line([(x, 0), (x, 600)], fill=((x + seed * 7) % 256, 90, (255 - x) % 256), width=3)
    image.save(path, quality=85)
    return path


def write_paged_docx(steps: tuple[Step, ...], path: Path, pages: int) -> Path:
    """The SOP as a Word file of ``pages`` pages: its steps in ``pages`` parts, each with a
    photo (a different one) and a page break after it."""
    import docx
    from docx.enum.text import WD_BREAK
    from docx.shared import Inches

    outline = formats.outline(steps)
    per_page = -(-len(outline) // pages)
    document = docx.Document()
    for page in range(pages):
        for kind, text in outline[page * per_page : (page + 1) * per_page]:
            if kind.startswith("h"):
                document.add_heading(text, level=int(kind[1]))
            elif kind == "tip":
                document.add_paragraph(formats.TIP + text)
            else:
                document.add_paragraph(text)
        picture = photo(path.with_name(f"photo-{page}.jpg"), page)
        document.add_paragraph().add_run().add_picture(str(picture), width=Inches(4))
        if page + 1 < pages:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    document.save(str(path))
    return path


def import_word(here: Path, steps: tuple[Step, ...]) -> None:
    """Time a 30-page Word SOP with pictures from its bytes to a served index."""
    word = write_paged_docx(steps, here / "門市作業手冊.docx", WORD_PAGES)
    print(
        f"importing a {WORD_PAGES}-page Word SOP with a photo a page "
        f"({word.stat().st_size / 1_000_000:.1f} MB), from its bytes to a served index:"
    )
    empty = here / "nothing-packaged"
    empty.mkdir()
    for name, packaged in (("alone", empty), ("beside the packaged SOP", CORPUS_DIR)):
        root = here / f"managed-{len(name)}"
        corpus = ManagedCorpus(root, packaged=packaged)
        started, cpu = time.perf_counter(), time.process_time()
        proposal = corpus.propose(word.name, word.read_bytes())
        proposed = time.perf_counter()
        corpus.apply(proposal)
        applied = time.perf_counter()
        kb = open_knowledge(here / f"index-{len(name)}.db", root, {})
        served, cpu = time.perf_counter(), time.process_time() - cpu
        with_pictures = [step for step in kb.steps if step.pictures]
        shown = picture_bytes(corpus.directory, with_pictures[0].pictures[0])
        answer = kb.ask(steps[0].title or steps[0].text[:20])
        total = served - started
        verdict = "within" if total <= WORD_TARGET_SECONDS else "OVER"
        print(
            f"  {name:<26} {len(kb.steps):>4} steps served, {proposal.pictures} pictures "
            f"(one read back: {len(shown) / 1000:.0f} KB); propose {proposed - started:.2f} s, "
            f"apply {applied - proposed:.2f} s, index {served - applied:.2f} s: "
            f"{total:.1f} s in all ({cpu:.1f} s of CPU), {verdict} the "
            f"{WORD_TARGET_SECONDS:.0f} s target (first question: {answer.confidence})"
        )


if __name__ == "__main__":
    main()
