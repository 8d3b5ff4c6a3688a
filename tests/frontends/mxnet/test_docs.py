"""docs/SUPPORTED_OPS.md's MXNet section is generated from the op table; this test keeps them in step.
Regenerate with: python tests/frontends/mxnet/test_docs.py --write"""
from __future__ import annotations

import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[3] / "docs" / "SUPPORTED_OPS.md"
BEGIN, END = "<!-- mxnet:begin -->", "<!-- mxnet:end -->"


def mxnet_section() -> str:
    from irforge.frontends.mxnet.table import OP_TABLE, UNUSED_INPUTS
    lines = [BEGIN, "## MXNet", "",
             f"{len(OP_TABLE)} op names (aliases included), from `irforge/frontends/mxnet/table.py`. Attributes follow "
             "MXNet's defaults; what a translator rejects it names in its error.", "",
             "| MXNet op | translator | notes |", "|---|---|---|"]
    for op in sorted(OP_TABLE, key=lambda s: (s.lstrip("_").lower(), s)):
        fn = OP_TABLE[op]
        module = fn.__module__.rsplit(".", 1)[-1]
        name = getattr(fn, "__qualname__", getattr(fn, "__name__", "?")).split(".<locals>")[0]
        doc = (fn.__doc__ or "").strip().splitlines()
        note = doc[0] if doc else ""
        if op in UNUSED_INPUTS:
            note = (note + " " if note else "") + "(the label input is not read)"
        lines.append(f"| `{op}` | {module}.{name} | {note.replace('|', '/')} |")
    lines.append(END)
    return "\n".join(lines)


def write() -> None:
    text = DOC.read_text() if DOC.exists() else "# Supported operations\n\n"
    section = mxnet_section()
    if BEGIN in text:
        head, rest = text.split(BEGIN, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOC.write_text(text)


def test_supported_ops_doc_matches_the_table():
    text = DOC.read_text()
    assert BEGIN in text, "docs/SUPPORTED_OPS.md has no MXNet section: run this file with --write"
    current = BEGIN + text.split(BEGIN, 1)[1].split(END, 1)[0] + END
    assert current == mxnet_section(), "the MXNet op table changed: run tests/frontends/mxnet/test_docs.py --write"


if __name__ == "__main__" and "--write" in sys.argv:
    write()
