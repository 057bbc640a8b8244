"""The `sopbot` command line: its JSON output is a contract other tools read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli

HIT_KEYS = ["doc", "role", "section", "step", "passage", "text", "tips", "score"]


@pytest.fixture
def run(tmp_path_factory: pytest.TempPathFactory, kb):
    index = str(kb.index_path)

    def invoke(*args: str, input: str | None = None):
        result = CliRunner().invoke(cli, [*args], input=input, env={"SOPBOT_INDEX": index})
        assert result.exit_code == 0, result.output
        return result.output

    return invoke


def test_cli_ask_json_is_one_object_with_the_contract_keys(run) -> None:
    record = json.loads(run("ask", "--json", "客户没带证件怎么办"))
    assert list(record) == ["query", "confidence", "elapsed_ms", "reply", "hits"]
    assert record["query"] == "客户没带证件怎么办"
    assert 1 <= len(record["hits"]) <= 5
    assert list(record["hits"][0]) == HIT_KEYS
    assert "证件" in record["reply"]  # a simplified question gets a simplified reply


def test_cli_ask_dash_reads_one_question_per_line(run) -> None:
    lines = run("ask", "--json", "-", input="早會幾點開\n\n打架\n").splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["query"] for r in records] == ["早會幾點開", "", "打架"]
    assert records[1]["confidence"] == "none" and records[1]["hits"] == []


def test_cli_ask_prints_plain_text_for_people(run) -> None:
    output = run("ask", "門市內發生打架鬥毆")
    assert "門市保全" in output and "<b>" not in output


@pytest.mark.parametrize("question", ["", "😀", 'NEAR( "a" AND *', "<b>x</b>", "\x01\x02"])
def test_cli_ask_bad_input_gets_a_friendly_reply(run, question: str) -> None:
    record = json.loads(run("ask", "--json", question))
    assert record["reply"]


def test_cli_kb_json_lists_every_step(run, kb) -> None:
    records = [json.loads(line) for line in run("kb", "--json").splitlines()]
    assert len(records) == len(kb.steps)
    assert list(records[0]) == ["doc", "role", "section", "step", "text", "tips"]


def test_cli_kb_lint_lists_the_repairs(run) -> None:
    assert "heading fused with its body" in run("kb", "--lint")


def test_cli_chat_answers_piped_questions(run) -> None:
    output = run("chat", input="門市內發生打架鬥毆\n\n")
    assert "門市保全" in output


def test_cli_ask_streams_answers_as_lines_arrive(kb) -> None:
    """Each answer is flushed before the next question is read (a pipe partner waits)."""
    env = {**os.environ, "SOPBOT_INDEX": str(kb.index_path)}
    with subprocess.Popen(
        [sys.executable, "-m", "bot", "ask", "--json", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        text=True,
        cwd=Path(__file__).parents[2],
    ) as process:
        assert process.stdin and process.stdout
        process.stdin.write("打架\n")
        process.stdin.flush()
        first = json.loads(process.stdout.readline())
        process.stdin.write("早會\n")
        process.stdin.close()
        second = json.loads(process.stdout.readline())
        assert process.wait(timeout=30) == 0
    assert (first["query"], second["query"]) == ("打架", "早會")


def test_cli_chat_takes_help_and_exit_as_words_to_it_not_questions(run) -> None:
    output = run("chat", input="/help\n/practice\n客人沒帶證件怎麼辦\nexit\n門市內發生打架鬥毆\n")
    assert output.count("Type a question the way staff would ask it") == 2
    assert "SOP 裡找不到" not in output  # neither /help nor /practice was searched
    # One answer: the question's before exit, none after.
    assert output.endswith(run("chat", input="客人沒帶證件怎麼辦\n"))
    assert "打架" not in output


def test_cli_chat_does_not_point_at_buttons_a_terminal_lacks(run) -> None:
    output = run("chat", input="客人沒帶證件怎麼辦\n")
    assert "流動諮詢" in output
    assert "全文" not in output


FRONT_DESK = Path(__file__).parent / "data" / "front-desk.md"


def ask_corpus(tmp_path: Path, corpus: Path, question: str = "停電了怎麼辦"):
    env = {"SOPBOT_INDEX": str(tmp_path / "index.db")}
    return CliRunner().invoke(cli, ["ask", "--json", "--corpus", str(corpus), question], env=env)


def test_cli_ask_corpus_answers_from_a_file_instead_of_the_served_sop(tmp_path: Path) -> None:
    result = ask_corpus(tmp_path, FRONT_DESK)
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["hits"][0]["step"] == "4、停電處理"
    assert all(hit["doc"] == "旅館櫃台作業手冊" for hit in record["hits"])
    assert (tmp_path / "index.db").exists() is False  # the served index is left alone


def test_cli_ask_corpus_reads_a_folder_of_sop_files(tmp_path: Path) -> None:
    folder = tmp_path / "sops"
    folder.mkdir()
    (folder / "desk.md").write_bytes(FRONT_DESK.read_bytes())
    (folder / "notes.jpg").write_bytes(b"\xff\xd8 not an SOP")
    result = ask_corpus(tmp_path, folder, "行李可以寄存幾天")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["hits"][0]["step"] == "3、行李寄存"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.md", "no such file or folder"),
        (lambda d: (d / "empty.md").touch() or d / "empty.md", "the file is empty"),
        (lambda d: (d / "empty").mkdir() or d / "empty", "no SOP files in this folder"),
        (lambda d: (d / "photo.jpg").write_bytes(b"\xff\xd8") and d / "photo.jpg", "not an SOP"),
    ],
    ids=["missing", "empty file", "empty folder", "other kind"],
)
def test_cli_ask_corpus_without_an_sop_says_why_and_exits_2(tmp_path: Path, make, message) -> None:
    result = ask_corpus(tmp_path, make(tmp_path))
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
