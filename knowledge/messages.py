"""What the readers of SOP files say, in each reader's language.

A :class:`~knowledge.model.Lint` or a :class:`~knowledge.reading.SopFileError` carries a
``code`` and ``params``; this module turns them into a sentence in traditional Chinese
(``hant``), simplified Chinese (``hans``) or English (``en``). The English text is also
the lint's ``message``, so logs and the CLI read the same without a catalog.
"""

from __future__ import annotations

from collections.abc import Mapping

from knowledge.model import Lint

# code → (English, traditional, simplified); {name} fields come from the params.
TEXTS: dict[str, tuple[str, str, str]] = {
    # Guesses made while reading a file's structure.
    "no_document_heading": (
        "no '# document' heading: the document is named '{name}' after the {origin}",
        "沒有「# 文件」標題：文件依{origin}命名為「{name}」",
        "没有“# 文件”标题：文件依{origin}命名为“{name}”",
    ),
    "outside_step": (
        "text outside a step; kept as a step of its own",
        "步驟以外的文字，另成一個步驟",
        "步骤以外的文字，另成一个步骤",
    ),
    "blocks_as_steps": (
        "{count} list items, table rows and paragraphs read as steps (no step headings)",
        "沒有步驟標題：{count} 個清單項目、表格列和段落當作步驟",
        "没有步骤标题：{count} 个列表项、表格行和段落当作步骤",
    ),
    "titles_guessed": (
        "{count} step titles taken from the step's first words",
        "{count} 個步驟標題取自步驟的開頭文字",
        "{count} 个步骤标题取自步骤的开头文字",
    ),
    "note_as_step": (
        "a note or box with no step before it; kept as a step of its own",
        "提示框前面沒有步驟，另成一個步驟",
        "提示框前面没有步骤，另成一个步骤",
    ),
    "navigation_list": (
        "a list of links to other pages kept as one step",
        "連到其他頁面的連結清單，合成一個步驟",
        "链接到其他页面的链接列表，合成一个步骤",
    ),
    "empty_heading": (
        "an empty heading; ignored",
        "空白標題，已略過",
        "空白标题，已略过",
    ),
    "numbering_gap": (
        "numbering jumps from {before} to {after}",
        "編號由 {before} 跳到 {after}",
        "编号由 {before} 跳到 {after}",
    ),
    "empty_step": (
        "step '{label}' has no text",
        "步驟「{label}」沒有內容",
        "步骤“{label}”没有内容",
    ),
    "headings_by_size": (
        "headings guessed from type size and numbering ({count} headings)",
        "依字體大小和編號判斷標題（{count} 個）",
        "依字体大小和编号判断标题（{count} 个）",
    ),
    "headings_guessed": (
        "no heading styles: {count} short bold or larger lines read as headings",
        "沒有標題樣式：{count} 行粗體或較大字的短句當作標題",
        "没有标题样式：{count} 行粗体或较大字的短句当作标题",
    ),
    "picture_missing": (
        "picture '{picture}' is not beside the file; not kept",
        "圖片「{picture}」不在檔案旁邊，未保留",
        "图片“{picture}”不在文件旁边，未保留",
    ),
    "picture_outside": (
        "picture '{picture}' points outside the SOP's folder; not kept",
        "圖片「{picture}」指向 SOP 資料夾以外，未保留",
        "图片“{picture}”指向 SOP 文件夹以外，未保留",
    ),
    "sheet_no_answer": (
        "row {row} has a question but no answer; left out",
        "第 {row} 列有問題沒有答案，未收錄",
        "第 {row} 行有问题没有答案，未收录",
    ),
    "sheet_skipped": (
        "sheet '{sheet}' has no question and answer columns; left out",
        "工作表「{sheet}」沒有問題和答案欄，未收錄",
        "工作表“{sheet}”没有问题和答案列，未收录",
    ),
    "sheet_columns": (
        "questions from column '{question}', answers from column '{answer}'",
        "問題取自「{question}」欄，答案取自「{answer}」欄",
        "问题取自“{question}”列，答案取自“{answer}”列",
    ),
    # Repairs of the plain-text (seed) layout.
    "repaired": ("{repair}", "已修正：{repair}", "已修正：{repair}"),
    "stray_marks": (
        "removed stray mark(s) {marks}",
        "刪除多餘的符號 {marks}",
        "删除多余的符号 {marks}",
    ),
    "misencoded_char": ("read 臵 as 置", "把「臵」讀作「置」", "把“臵”读作“置”"),
    "blank_kept": (
        "kept a blank '___' left in the source",
        "保留原文留下的空格「___」",
        "保留原文留下的空格“___”",
    ),
    "empty_tip_marker": (
        "empty 溫馨提示 marker",
        "空白的「溫馨提示」",
        "空白的“温馨提示”",
    ),
    "uncatalogued_document": (
        "document 篇{number} has no catalog name; using its heading",
        "篇{number} 在目錄中沒有名稱，用它的標題",
        "篇{number} 在目录中没有名称，用它的标题",
    ),
    "position_fused": (
        "heading {label} fused with the position's name; kept as 職位",
        "標題「{label}」和職位名稱黏在一起，職位名稱另存為「職位」",
        "标题“{label}”和职位名称粘在一起，职位名称另存为“职位”",
    ),
    "cut_sentence_mnemonic": (
        "sentence cut off after '、'; the rest reads as the 服務標準口訣",
        "句子在「、」後中斷，其餘當作服務標準口訣",
        "句子在“、”后中断，其余当作服务标准口诀",
    ),
    "cut_sentence_lost_heading": (
        "sentence cut off after '、'; the rest is a step whose heading is lost: "
        "kept as step 1 of 服務標準說明 with a borrowed title",
        "句子在「、」後中斷，其餘是失去標題的步驟：當作服務標準說明第 1 步，借用標題",
        "句子在“、”后中断，其余是失去标题的步骤：当作服务标准说明第 1 步，借用标题",
    ),
    "tip_end_not_step": (
        "'{line}' read as the end of the previous tip, not as step {number}",
        "「{line}」當作上一則提示的結尾，不是第 {number} 步",
        "“{line}”当作上一则提示的结尾，不是第 {number} 步",
    ),
    "number_without_separator": (
        "step number {number} has no separator ('{start}…')",
        "步驟編號 {number} 後面沒有「、」（「{start}…」）",
        "步骤编号 {number} 后面没有“、”（“{start}…”）",
    ),
    "heading_fused": (
        "heading fused with its body; guessed title '{title}'",
        "標題和內文黏在一起，猜測標題為「{title}」",
        "标题和正文粘在一起，猜测标题为“{title}”",
    ),
    "lost_heading": (
        "lost heading titled '{title}' after {role} › {title}",
        "遺失的標題依「{role} › {title}」補為「{title}」",
        "遗失的标题依“{role} › {title}”补为“{title}”",
    ),
    # Files that cannot be read at all (SopFileError).
    "too_large": (
        "{name} is {size} MB; an SOP file may be at most {limit} MB",
        "{name} 有 {size} MB，SOP 檔案最多 {limit} MB",
        "{name} 有 {size} MB，SOP 文件最多 {limit} MB",
    ),
    "not_utf8": (
        "{name} is not UTF-8 text (line {line}); save it as UTF-8",
        "{name} 不是 UTF-8 文字（第 {line} 行），請另存為 UTF-8",
        "{name} 不是 UTF-8 文本（第 {line} 行），请另存为 UTF-8",
    ),
    "zip_bomb": (
        "{name} unpacks to more than {limit} MB; it is not an ordinary document",
        "{name} 解壓後超過 {limit} MB，不是一般文件",
        "{name} 解压后超过 {limit} MB，不是一般文件",
    ),
    "broken_file": (
        "{name} cannot be opened as {kind}: {detail}",
        "{name} 無法當作 {kind} 開啟：{detail}",
        "{name} 无法当作 {kind} 打开：{detail}",
    ),
    "protected_office": (
        "{name} is protected by a password or saved in the old {kind} format; "
        "save it as a new {kind} file without a password",
        "{name} 有密碼保護或是舊版 {kind} 格式，請另存為新版 {kind} 檔並取消密碼",
        "{name} 有密码保护或是旧版 {kind} 格式，请另存为新版 {kind} 文件并取消密码",
    ),
    "encrypted_pdf": (
        "{name} is protected by a password; save it without one and send it again",
        "{name} 有密碼保護，請取消密碼後再傳一次",
        "{name} 有密码保护，请取消密码后再发一次",
    ),
    "pdf_no_text": (
        "{name} has no text (a scanned PDF?); export it as text or Word",
        "{name} 沒有文字（掃描的 PDF？），請匯出成文字檔或 Word",
        "{name} 没有文字（扫描的 PDF？），请导出成文本或 Word",
    ),
    "too_many": (
        "{name} has more than {limit} {what}; split it into smaller files",
        "{name} 的{what}超過 {limit} 個，請分成較小的檔案",
        "{name} 的{what}超过 {limit} 个，请分成较小的文件",
    ),
    "too_deep": (
        "{name} nests its elements hundreds deep; it is not an ordinary page",
        "{name} 的元素巢狀了好幾百層，不是一般的網頁",
        "{name} 的元素嵌套了好几百层，不是一般的网页",
    ),
    "picture_too_large": (
        "picture '{picture}' in {name} is {size} MB; a picture may be at most {limit} MB",
        "{name} 的圖片「{picture}」有 {size} MB，圖片最多 {limit} MB",
        "{name} 的图片“{picture}”有 {size} MB，图片最多 {limit} MB",
    ),
    "unsafe_name": (
        "{name} is not a plain file name",
        "{name} 不是單純的檔名",
        "{name} 不是单纯的文件名",
    ),
    "no_sheet_columns": (
        "{name} has no question and answer columns (name them 'question' and 'answer')",
        "{name} 找不到問題和答案欄（請把欄名寫成「問題」和「答案」）",
        "{name} 找不到问题和答案列（请把列名写成“问题”和“答案”）",
    ),
    "not_an_sop_file": (
        "{name}: {kind} files cannot be imported; send .txt, .md, .docx, .pdf, .html, .xlsx, "
        ".csv, or a .zip of a docs site",
        "{name} 不是 SOP 檔案（{kind}），請傳 .txt、.md、.docx、.pdf、.html、.xlsx、.csv，"
        "或文件網站的 .zip",
        "{name} 不是 SOP 文件（{kind}），请发 .txt、.md、.docx、.pdf、.html、.xlsx、.csv，"
        "或文档网站的 .zip",
    ),
    "no_steps": (
        "no steps found in {name}: it has no text an SOP step could be read from",
        "{name} 裡找不到任何步驟：沒有可以當作 SOP 步驟的文字",
        "{name} 里找不到任何步骤：没有可以当作 SOP 步骤的文字",
    ),
    "unsupported": (
        "{name}: {kind} files are not read; send .txt, .md, .docx, .pdf, .html, .xlsx or .csv",
        "{name}：不支援 {kind} 檔案，請傳 .txt、.md、.docx、.pdf、.html、.xlsx 或 .csv",
        "{name}：不支持 {kind} 文件，请发 .txt、.md、.docx、.pdf、.html、.xlsx 或 .csv",
    ),
}

# Words that stand inside the sentences above ({what}, {origin}).
WORDS: dict[str, tuple[str, str, str]] = {
    "rows": ("rows", "列", "行"),
    "headings": ("headings", "標題", "标题"),
    "steps": ("steps", "步驟", "步骤"),
    "pages": ("pages", "頁", "页"),
    "front matter title": ("front matter title", "頁首資料的標題", "页首资料的标题"),
    "file name": ("file name", "檔名", "文件名"),
    "first heading": ("first heading", "第一個標題", "第一个标题"),
    "page title": ("page title", "網頁標題", "网页标题"),
    "document title": ("document title", "文件屬性的標題", "文件属性的标题"),
}
SCRIPTS = ("en", "hant", "hans")


def render(code: str, params: Mapping[str, object], script: str = "en") -> str:
    """The sentence for ``code`` in ``script`` ("en", "hant" or "hans")."""
    texts = TEXTS.get(code)
    if texts is None:
        return ", ".join(f"{key}={value}" for key, value in params.items()) or code
    column = SCRIPTS.index(script) if script in SCRIPTS else 0
    values = {
        key: WORDS[value][column] if isinstance(value, str) and value in WORDS else value
        for key, value in params.items()
    }
    return texts[column].format(**values)


def lint(source: str, at: int, code: str, **params: object) -> Lint:
    """A lint at line ``at`` whose message is the English sentence for ``code``."""
    pairs = tuple((key, str(value)) for key, value in params.items())
    return Lint(source, at, render(code, params), code=code, params=pairs)


def render_lint(item: Lint, script: str = "en") -> str:
    """A lint in the reader's language (its English message when it has no code)."""
    if not item.code or script == "en":
        return item.message
    return render(item.code, item.parameters, script)
