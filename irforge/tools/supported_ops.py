"""docs/SUPPORTED_OPS.md, generated from the frontends' tables:

    python -m irforge.tools.supported_ops            # rewrite every registered section of docs/SUPPORTED_OPS.md
    python -m irforge.tools.supported_ops onnx       # only the ONNX section
    python -m irforge.tools.supported_ops --check    # exit 1 when a section is out of date

Each framework owns one section of the page, between `<!-- NAME:begin -->` and `<!-- NAME:end -->`, made by a
function its frontend exposes (from its own op table). A framework plugs in with one line of SECTIONS; the
others' sections are left as they are."""
from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Callable

DOC = Path(__file__).resolve().parents[2] / "docs" / "SUPPORTED_OPS.md"

# framework -> "module:function" returning its section's markdown (with or without the markers)
SECTIONS: dict[str, str] = {
    "onnx": "irforge.frontends.onnx.docs:section",
    "caffe": "irforge.frontends.caffe.docs:section",
    "kaldi": "irforge.frontends.kaldi.table:supported_ops_markdown",
    "tf": "irforge.frontends.tensorflow.docs:section",
}
HEADER = ("# Supported operations\n\nPer framework: every operator or layer, whether and how irforge converts it, "
          "and the OpenVINO ops it becomes. Generated: `python -m irforge.tools.supported_ops` "
          "(irforge/tools/supported_ops.py) rewrites each framework's section from its frontend's table.\n")


def markers(framework: str) -> tuple[str, str]:
    return f"<!-- {framework}:begin -->", f"<!-- {framework}:end -->"


def generate(framework: str) -> str:
    """The section of one framework, markers included."""
    module, function = SECTIONS[framework].split(":")
    make: Callable[[], str] = getattr(importlib.import_module(module), function)
    body = make().strip("\n")
    begin, end = markers(framework)
    body = body.removeprefix(begin).removesuffix(end).strip("\n")
    return f"{begin}\n{body}\n{end}\n"


def replace(text: str, framework: str, section: str) -> str:
    begin, end = markers(framework)
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        return head + section + rest.split(end, 1)[1].lstrip("\n")
    return text.rstrip("\n") + "\n\n" + section


def main(argv: list[str]) -> int:
    check = "--check" in argv
    frameworks = [a for a in argv if not a.startswith("--")] or list(SECTIONS)
    text = DOC.read_text() if DOC.exists() else HEADER
    new = text
    if not text.startswith(HEADER):  # the title and how the page is made come first
        first = text.split("<!--", 1)
        new = HEADER + "\n" + ("<!--" + first[1] if len(first) > 1 else "")
    for framework in frameworks:
        new = replace(new, framework, generate(framework))
    if check:
        if new != text:
            print("docs/SUPPORTED_OPS.md is out of date: run python -m irforge.tools.supported_ops")
            return 1
        return 0
    DOC.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
