"""docs/CLI.md, generated from the FLAGS table so the page cannot drift from `mo --help`:

    python -m irforge.cli.docs > docs/CLI.md

(tests/cli/test_docs.py fails when the page and the table disagree)."""
from __future__ import annotations

from irforge.cli.main import ALIASES, EXAMPLES, FLAGS, GROUPS, IGNORED, REJECTED

INTRO = """\
# `mo` / `irforge convert` command line

Generated from the flag table in `irforge/cli/main.py` by `python -m irforge.cli.docs > docs/CLI.md`; do not edit
by hand. Every flag is also a keyword argument of `irforge.convert_model` (without the dashes), taking the same
strings or Python values: `irforge.convert_model("m.onnx", input_shape=[1, 3, 224, 224],
mean_values={"data": [123.7, 116.3, 103.5]}, layout={"data": ("nchw", "nhwc")}, compress_to_fp16=True)`.

A bad value stops the conversion before anything is written, with a message that names the option, the value
and the form expected, e.g. `--mean_values: cannot use 'data[1,2,3,4]': ...; expected 3 value(s): input 'data'
has 3 channels (dim 1 of [1,3,224,224], layout [N,C,H,W])`.

## Names, shapes, types and values

- **Names** are the framework's: model input names, tensor names, or node names. `node:K` is output port K of a
  node, `K:node` is input port K. With `--input`, a node name keeps the node and feeds each of its non-constant
  inputs from a new input; `node:K` makes that output an input (the node is cut off); `K:node` cuts only the edge
  into port K. An unknown name fails with the model's input names and the closest matches.
- **Shapes**: `[1,3,224,224]`, `(1,3,224,224)` or `[1 3 224 224]`; a dim is a number, `-1` or `?` (dynamic), or a
  range `1..10`, `..10`, `1..`.
- **Element types** in braces: `{f32}`, `{f16}`, `{i64}`, `{i32}`, `{u8}`, `{boolean}` (also `FP32`, `I64`,
  `float32`, `int64`...). An input given another type than the model's gets a Convert to the model's type.
- **Values** after `->`: `True`, `150`, `[20,15]` or `[20 15]`; with a shape, the number of values must match.

## Preprocessing order

`Parameter -> Transpose (target -> source layout) -> reverse channels -> subtract mean -> divide by scale ->
model`. Per-channel values follow the channel order of the model (after the reversal). Their channel dim is the
`C` of the input's layout, or, without a layout, the only NCHW / NHWC position holding that many channels; when
both positions could be it, give `--layout`.

## Where irforge differs from the legacy mo

- `--input_shape` with several shapes and no `--input` applies them to the model inputs in order (the legacy mo
  required names).
- Unnamed `--mean_values` / `--scale_values` lists keep the order given (the legacy mo sorted them by their first
  value).
- `--scale` with `--scale_values` is an error (the legacy mo silently let `--scale` win).
- `--static_shape` also requires every input shape to be static.
- `--compress_to_fp16` keeps weights whose values do not fit f16 in f32 (OpenVINO clamps them to +-65504).
- `--input x{u8}` on a float model gives a u8 input and a Convert, so preprocessing runs in float.
- Flags for features irforge does not have yet are rejected instead of ignored.
"""


def render() -> str:
    lines = [INTRO]
    for group, title in GROUPS.items():
        rows = [row for row in FLAGS if row[0] == group]
        if not rows:
            continue
        lines.append(f"## {title[0].upper()}{title[1:]}\n")
        for _, flag, kwargs, help_text in rows:
            spelled = ", ".join(f"`{a}`" for a in (flag, *ALIASES.get(flag, ())))
            metavar = kwargs.get("metavar") or ("{" + ",".join(kwargs["choices"]) + "}" if "choices" in kwargs
                                                else "")
            lines.append(f"### {spelled} {metavar}".rstrip() + "\n")
            lines.append(help_text + "\n")
            lines.append("```\n" + EXAMPLES[flag] + "\n```\n")
    lines.append("## Not supported\n")
    for flag, message in REJECTED.items():
        lines.append(f"- `{flag}`: {message}")
    lines.append("\n## Accepted, changing nothing\n")
    lines.append("Legacy flags that choose something irforge has no choice of. They are accepted so that existing "
                 "command lines keep working, with a warning saying why they change nothing.\n")
    for flag, (_, note) in IGNORED.items():
        lines.append(f"- `{flag}`: {note}.")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
