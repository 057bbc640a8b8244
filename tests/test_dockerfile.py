"""The Dockerfile works: its steps replayed without Docker, then the bot it starts answers.

No Docker engine runs where the tests run, so this test reads the Dockerfile and replays
its ENV, WORKDIR, COPY and RUN steps in a temp dir that stands for the image's file
system (``/opt``, ``/data`` and ``/src`` are rooted there), then runs its HEALTHCHECK and its
CMD against the fake Bot API. What it proves: the package installs from the files the
image copies (package data included), the index and jieba's cache are built at image build
time and used as they are at start, the health check passes, and the bot answers.

What is substituted, and why:

- Dependencies are not downloaded: the virtualenv the Dockerfile creates is given the test
  interpreter's site-packages (a ``.pth`` file) and ``pip install`` gets ``--no-deps``.
  This keeps the test fast and offline, at the cost of not checking that PyPI still
  resolves the dependency ranges (the real ``docker build`` does that).
- The project is built without build isolation when this interpreter has a build backend
  that can make a wheel (setuptools ≥ 70.1, or ≥ 68 with ``wheel``); otherwise pip fetches
  setuptools from PyPI as ``docker build`` would.
- ``useradd``/``chown`` are skipped and ``USER`` ignored: the test runs as whoever runs it.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest

from bot import render
from bot.context import ANSWER_LIMIT
from knowledge import KnowledgeBase
from knowledge.index import read_fingerprint
from tests.fakebotapi import DEFAULT_USER_ID, FakeBotAPI

pytestmark = pytest.mark.process  # a process, a server or a child process: not in `make check`

ROOT = Path(__file__).parents[1]
DOCKERFILE = ROOT / "Dockerfile"
IMAGE_DIRS = ("opt", "data", "src")  # the image's own folders, rooted in the temp dir
SKIPPED_PROGRAMS = {"useradd", "groupadd", "chown"}
QUESTION = "客人沒帶證件怎麼辦"
STEP_TIMEOUT = 300  # pip may download a build backend
START_TIMEOUT = 30
TIMEOUT = 10


@dataclass(frozen=True)
class Instruction:
    keyword: str
    flags: dict[str, str]
    args: str


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions in order: continuation lines joined, comments dropped, --flags split off."""
    instructions = []
    logical = ""
    for line in text.splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        if line.rstrip().endswith("\\"):
            logical += line.rstrip()[:-1] + " "
            continue
        logical += line
        keyword, _, rest = logical.strip().partition(" ")
        flags = {}
        rest = rest.strip()
        while rest.startswith("--"):
            flag, _, rest = rest.partition(" ")
            name, _, value = flag[2:].partition("=")
            flags[name] = value
            rest = rest.strip()
        instructions.append(Instruction(keyword.upper(), flags, rest))
        logical = ""
    return instructions


def exec_form(args: str) -> list[str]:
    """``["sopbot", "run"]`` (exec form) or ``sopbot run`` (shell form) as an argv."""
    return json.loads(args) if args.startswith("[") else ["/bin/sh", "-c", args]


def allowed_by_dockerignore(path: str) -> bool:
    """Whether .dockerignore lets ``path`` into the build context (last matching rule wins)."""
    allowed = True
    for rule in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines():
        rule = rule.strip()
        if not rule or rule.startswith("#"):
            continue
        negated = rule.startswith("!")
        pattern = rule.lstrip("!").rstrip("/")
        if fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path.split("/")[0], pattern):
            allowed = negated
    return allowed


def can_build_offline() -> bool:
    def version(name: str) -> tuple[int, ...]:
        try:
            return tuple(int(p) for p in metadata.version(name).split(".")[:2] if p.isdigit())
        except metadata.PackageNotFoundError:
            return ()

    setuptools = version("setuptools")
    return setuptools >= (70, 1) or (setuptools >= (68,) and version("wheel") != ())


class Image:
    """The replay: a temp dir standing for the image's file system, and the current ENV."""

    def __init__(self, tmp: Path) -> None:
        self.root = tmp / "image"
        self.root.mkdir()
        # `python` is the base image's interpreter: here, this one (a bare symlink, so it
        # is not mistaken for a virtualenv).
        self.base_bin = tmp / "base-bin"
        self.base_bin.mkdir()
        (self.base_bin / "python").symlink_to(Path(sys.executable).resolve())
        self.home = tmp / "home"
        self.home.mkdir()
        self.pip_installs = 0
        self.new_stage()

    def new_stage(self) -> None:
        self.env = {
            "PATH": f"{self.base_bin}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
        }
        # pip may need the network's proxy settings; nothing else comes from outside.
        self.env |= {k: v for k, v in os.environ.items() if k.lower().endswith("_proxy")}
        self.workdir = self.root

    def path(self, text: str) -> str:
        """Root the image's own absolute paths (/opt/…, /data, /src/…) in the temp dir."""
        folders = "|".join(IMAGE_DIRS)
        return re.sub(rf"(?<![\w./])/(?:{folders})(?=/|\b|$)", lambda m: f"{self.root}{m[0]}", text)

    def expand(self, text: str) -> str:
        return re.sub(r"\$\{?(\w+)\}?", lambda m: self.env.get(m[1], ""), self.path(text))

    def run(self, command: str, timeout: float = STEP_TIMEOUT) -> str:
        kept = []
        for part in command.split("&&"):
            program = shlex.split(part)[0]
            if program in SKIPPED_PROGRAMS:
                continue
            if re.search(r"\bpip\b.*\binstall\b", part):
                part = re.sub(r"\binstall\b", self.pip_install_flags(), part, count=1)
            kept.append(self.path(part))
        if not kept:
            return ""
        done = subprocess.run(
            ["/bin/sh", "-c", " && ".join(kept)],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert done.returncode == 0, f"RUN {command}\n{done.stdout}\n{done.stderr}"
        self.after_run(command)
        return done.stdout

    def pip_install_flags(self) -> str:
        self.pip_installs += 1
        isolation = " --no-build-isolation" if can_build_offline() else ""
        return f"install --no-deps --quiet{isolation}"

    def after_run(self, command: str) -> None:
        """A virtualenv just made sees this interpreter's packages instead of PyPI's."""
        if re.search(r"python -m venv ", command):
            venv = Path(self.path(shlex.split(command)[-1]))
            (site_packages,) = venv.glob("lib/python*/site-packages")
            dependencies = sysconfig.get_paths()["purelib"]
            (site_packages / "_test_dependencies.pth").write_text(dependencies + "\n")

    def copy(self, sources: list[str], dest: str, from_stage: str | None) -> None:
        target = Path(self.expand(dest))
        if not target.is_absolute():
            target = self.workdir / target
        for source in sources:
            if from_stage is not None:  # every stage shares the one root
                origin = Path(self.expand(source))
                if origin == target:
                    continue
            else:
                assert allowed_by_dockerignore(source), f".dockerignore keeps out {source}"
                origin = ROOT / source
            if origin.is_dir():
                ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.db", "*.db-*")
                shutil.copytree(origin, target, ignore=ignore, dirs_exist_ok=True)
            else:
                destination = target / origin.name if dest.endswith("/") else target
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, destination)


def replay(tmp: Path) -> tuple[Image, list[str], list[str]]:
    """Build the "image"; return it with its HEALTHCHECK and CMD."""
    image = Image(tmp)
    healthcheck: list[str] = []
    command: list[str] = []
    for step in parse_dockerfile(DOCKERFILE.read_text(encoding="utf-8")):
        if step.keyword == "FROM":
            assert step.args.split()[0] == "python:3.11-slim"
            image.new_stage()
        elif step.keyword == "ENV":
            words = shlex.split(step.args)
            pairs = [w.split("=", 1) for w in words] if "=" in words[0] else [words[:2]]
            for key, value in pairs:
                image.env[key] = image.expand(value)
        elif step.keyword == "WORKDIR":
            image.workdir = Path(image.expand(step.args))
            image.workdir.mkdir(parents=True, exist_ok=True)
        elif step.keyword == "COPY":
            *sources, dest = shlex.split(step.args)
            image.copy(sources, dest, step.flags.get("from"))
        elif step.keyword == "RUN":
            image.run(step.args)
        elif step.keyword == "HEALTHCHECK":
            keyword, _, args = step.args.partition(" ")
            assert keyword == "CMD"
            healthcheck = [image.path(word) for word in exec_form(args.strip())]
        elif step.keyword == "CMD":
            command = [image.path(word) for word in exec_form(step.args)]
        else:
            assert step.keyword in ("USER", "VOLUME", "EXPOSE", "LABEL"), step.keyword
    assert image.pip_installs == 1, "the Dockerfile installs sopbot with pip"
    return image, healthcheck, command


def check_health(image: Image, healthcheck: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(
        healthcheck, cwd=image.workdir, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_dockerfile_builds_an_image_whose_bot_answers(tmp_path: Path) -> None:
    image, healthcheck, command = replay(tmp_path)
    env = image.env

    # The image serves exactly what the repository does: same SOP files, questions,
    # lexicon and code. The index's fingerprint covers them all, so this checkout's
    # knowledge base opens a copy of the image's index as it is, without rebuilding it.
    index = Path(env["SOPBOT_INDEX"])
    copy = tmp_path / "index-copy" / index.name
    shutil.copytree(index.parent, copy.parent, ignore=shutil.ignore_patterns("cache"))
    kb = KnowledgeBase.open(index_path=copy)
    assert read_fingerprint(copy) == read_fingerprint(index), "the image lacks some file"
    assert Path(env["SOPBOT_CACHE_DIR"]).is_dir() and any(Path(env["SOPBOT_CACHE_DIR"]).iterdir())
    assert str(image.root) in shutil.which(command[0], path=env["PATH"])

    with FakeBotAPI() as api:
        env = env | {
            "TELEGRAM_BOT_TOKEN": api.token,
            "TELEGRAM_API_URL": api.base_url,
            "SOPBOT_ADMIN_IDS": str(DEFAULT_USER_ID),  # only registered people are answered
        }
        check_health(image, healthcheck, env)  # before the first start: no database yet
        log = tmp_path / "bot.log"
        with log.open("wb") as out:
            bot = subprocess.Popen(
                command, cwd=image.workdir, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        try:
            api.wait_for_call("setMyCommands", timeout=START_TIMEOUT)
            api.push_update(api.text_message(QUESTION))
            reply = api.wait_for_call("sendMessage", timeout=TIMEOUT)
            expected = kb.ask(QUESTION, ANSWER_LIMIT, None, "zh-hant")
            assert reply["text"] == render.answer(expected)
            check_health(image, healthcheck, env)  # running, with its database on /data
        except (TimeoutError, AssertionError) as error:
            pytest.fail(f"{error}\n--- bot output ---\n{log.read_text(errors='replace')}")
        finally:
            if bot.poll() is None:
                bot.send_signal(signal.SIGTERM)
            code = bot.wait(TIMEOUT)
    output = log.read_text(errors="replace")
    assert code == 0, output
    assert "built the index" not in output  # the image's index was used as it was
    assert Path(env["SOPBOT_DB"]).is_file()
    assert Path(env["SOPBOT_DB"]).parent == image.workdir  # the volume


def test_parse_dockerfile_joins_lines_and_splits_flags() -> None:
    text = '# c\nFROM x AS b\nENV A=1 \\\n    B=2\nCOPY --from=b /a /a\n\nCMD ["a", "b"]\n'
    assert parse_dockerfile(text) == [
        Instruction("FROM", {}, "x AS b"),
        Instruction("ENV", {}, "A=1      B=2"),
        Instruction("COPY", {"from": "b"}, "/a /a"),
        Instruction("CMD", {}, '["a", "b"]'),
    ]
