"""docs/porting.md runs: every ```python block, in order, in one namespace.

TF-Slim code in the page is tagged ```python-tf (or ```text) and is not run; every fenced block must
carry one of the tags below, so a block cannot be skipped by accident.
"""

from __future__ import annotations

import re
from pathlib import Path

import torch

DOCS = Path(__file__).resolve().parents[2] / "docs"
FENCE = re.compile(r"^```(\S*)\s*$")
KNOWN_TAGS = {"python", "python-tf", "text", "bash", "console"}


def code_blocks(path: Path):
    """[(tag, first line number, source)] of the fenced blocks of a Markdown file."""
    blocks, tag, start, lines = [], None, 0, []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        match = FENCE.match(line)
        if tag is None and match:
            tag, start, lines = match.group(1), number + 1, []
        elif tag is not None and line.strip() == "```":
            blocks.append((tag, start, "\n".join(lines) + "\n"))
            tag = None
        elif tag is not None:
            lines.append(line)
    assert tag is None, f"{path.name}: unclosed code block opened at line {start - 1}"
    return blocks


def test_every_block_is_tagged():
    blocks = code_blocks(DOCS / "porting.md")
    untagged = [(start - 1, tag) for tag, start, _ in blocks if tag not in KNOWN_TAGS]
    assert not untagged, f"porting.md: code blocks with a missing or unknown tag (line, tag): {untagged}"
    assert sum(tag == "python" for tag, _, _ in blocks) >= 10
    assert sum(tag == "python-tf" for tag, _, _ in blocks) >= 10


def test_tf_blocks_are_python():
    """The TF-Slim side is real Python too (it parses), so the comparison stays honest."""
    for tag, start, source in code_blocks(DOCS / "porting.md"):
        if tag == "python-tf":
            compile("\n" * (start - 1) + source, "docs/porting.md", "exec")


def test_python_blocks_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # files the page writes land in a temp dir
    torch.manual_seed(0)
    namespace = {"__name__": "porting_md"}
    for tag, start, source in code_blocks(DOCS / "porting.md"):
        if tag != "python":
            continue
        # Leading newlines make tracebacks point at the page's own line numbers.
        exec(compile("\n" * (start - 1) + source, "docs/porting.md", "exec"), namespace)
