"""`--transform MakeStateful[param_res_names={'h_in':'h_out'}]`: a model that takes its state as an input and
returns it as an output becomes a stateful one. The Parameter becomes a ReadValue of a variable (zeros on the
first call and after reset_state()), the Result an Assign to it, so the runtime carries the state between calls
(as OpenVINO's MakeStateful transformation does)."""
from __future__ import annotations

import ast
from dataclasses import dataclass

import numpy as np

from irforge import ops
from irforge.core.graph import Graph, Node
from irforge.errors import OptionError
from irforge.option_values import split_top_level

EXAMPLE = "MakeStateful[param_res_names={'h_in':'h_out'}]"
# What the legacy tool also accepted, and why irforge does not.
NOT_SUPPORTED = {
    "LowLatency2": "irforge has no LowLatency2 (it rewrites TensorIterator/Loop state); apply it with the OpenVINO "
                   "API on the converted IR",
    "Pruning": "irforge has no Pruning transformation",
}


@dataclass(frozen=True)
class Transform:
    name: str
    args: dict[str, object]


def parse_transforms(text: str) -> list[Transform]:
    """"Name[key=value;key=value],Name2" -> Transforms (the legacy --transform grammar)."""
    transforms = []
    for item in (t.strip() for t in split_top_level(text) if t.strip()):
        name, _, rest = item.partition("[")
        if rest and not rest.endswith("]"):
            raise OptionError("--transform", item, f"Name or Name[key=value;...], e.g. {EXAMPLE}")
        args: dict[str, object] = {}
        for pair in (p.strip() for p in split_top_level(rest[:-1], ";") if p.strip()) if rest else ():
            key, eq, value = pair.partition("=")
            if not eq:
                raise OptionError("--transform", item, f"key=value arguments, e.g. {EXAMPLE}")
            try:
                args[key.strip()] = ast.literal_eval(value.strip())
            except (ValueError, SyntaxError):
                args[key.strip()] = value.strip()
        name = name.strip()
        if name in NOT_SUPPORTED:
            raise OptionError("--transform", item, f"MakeStateful, e.g. {EXAMPLE}", reason=NOT_SUPPORTED[name])
        if name != "MakeStateful":
            raise OptionError("--transform", item, f"MakeStateful, e.g. {EXAMPLE}", reason="unknown transformation")
        transforms.append(Transform(name, args))
    return transforms


def state_pairs(transforms: list[Transform]) -> dict[str, str]:
    """{input name: output name} of every MakeStateful."""
    pairs: dict[str, str] = {}
    for t in transforms:
        value = t.args.get("param_res_names")
        if not isinstance(value, dict) or not value or not all(isinstance(k, str) and isinstance(v, str)
                                                               for k, v in value.items()):
            raise OptionError("--transform", f"{t.name}[{t.args}]", f"param_res_names with input -> output names, "
                              f"e.g. {EXAMPLE}")
        pairs.update(value)
    return pairs


def _find(nodes: list[Node], name: str, names_of) -> Node | None:
    return next((n for n in nodes if n.name == name or name in names_of(n)), None)


def make_stateful(graph: Graph, pairs: dict[str, str]) -> int:
    """Each {input: output} pair becomes one variable: the input's readers read it, the output's value is stored
    in it. Every name is checked before the graph changes. Returns the number of variables made."""
    missing = []
    found = []
    for param_name, result_name in pairs.items():
        param = _find(graph.parameters, param_name, lambda n: n.outputs[0].names)
        result = _find(graph.results, result_name, lambda n: n.inputs[0].names)
        if param is None:
            missing.append(f"input '{param_name}' (inputs: {', '.join(p.name for p in graph.parameters)})")
        if result is None:
            missing.append(f"output '{result_name}' (outputs: {', '.join(r.name for r in graph.results)})")
        found.append((param, result))
    if missing:
        raise OptionError("--transform", f"MakeStateful[param_res_names={pairs}]", "names of model inputs and "
                          "outputs", reason="not in the model: " + "; ".join(missing))
    for param, result in found:
        out = param.outputs[0]
        if not out.shape.is_static:
            raise OptionError("--transform", param.name, "an input of static shape (set it with --input_shape)",
                              reason=f"the state's initial value (zeros) needs a shape; '{param.name}' is "
                                     f"[{out.shape}]")
        shape = tuple(int(d) for d in out.shape)   # type: ignore[arg-type]
        variable = f"{param.name}/{result.name}"
        zeros = graph.constant(np.zeros(shape, out.element_type.numpy), name=f"{param.name}/initial")
        read = graph.out(ops.ReadValue(variable, out.element_type, out.shape), zeros, name=param.name)
        graph.replace_uses(out, read)
        value = result.inputs[0]
        graph.add_sink(ops.Assign(variable), value, name=f"{result.name}/assign")
        graph.remove(result)
        graph.remove(param)
    return len(found)
