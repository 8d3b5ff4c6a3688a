"""docs/SUPPORTED_OPS.md's TensorFlow section, generated from the op table.

    python -m irforge.frontends.tensorflow.docs [docs/SUPPORTED_OPS.md]    # rewrites the section in place
"""
from __future__ import annotations

import sys
from pathlib import Path

BEGIN, END = "<!-- tf:begin -->", "<!-- tf:end -->"


def section() -> str:
    from .table import OP_TABLE
    lines = [BEGIN, "## TensorFlow", "",
             f"{len(OP_TABLE)} op types, from `irforge/frontends/tensorflow/table.py`. Besides these, a node whose op "
             "names a function of the graph's library is inlined, as are PartitionedCall / StatefulPartitionedCall. "
             "Variables (VariableV2, VarHandleOp + ReadVariableOp) take their values from the checkpoint; channels-last "
             "convolutions and pooling keep the model's NHWC layout at the inputs and outputs.", "",
             "| TensorFlow op | translator | notes |", "|---|---|---|"]
    for op in sorted(OP_TABLE, key=lambda s: (s.lstrip("_").lower(), s)):
        fn = OP_TABLE[op]
        module = fn.__module__.rsplit(".", 1)[-1]
        name = getattr(fn, "__qualname__", getattr(fn, "__name__", "?")).split(".<locals>")[0]
        doc = (fn.__doc__ or "").strip().splitlines()
        note = doc[0].strip() if doc else ""
        lines.append(f"| `{op}` | {module}.{name} | {note.replace('|', '/')} |")
    lines.append(END)
    return "\n".join(lines)


def updated(text: str) -> str:
    """`text` with its TensorFlow section replaced (or appended)."""
    if BEGIN in text:
        head, rest = text.split(BEGIN, 1)
        return head + section() + rest.split(END, 1)[1]
    return text.rstrip("\n") + "\n\n" + section() + "\n"


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/SUPPORTED_OPS.md")
    path.write_text(updated(path.read_text() if path.exists() else "# Supported operations\n"))
