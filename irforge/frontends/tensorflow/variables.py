"""Variable values for graphs that read variables (VariableV2, VarHandleOp + ReadVariableOp): from a checkpoint.

TF1 checkpoints key each variable by its name. TF2 SavedModels key them by object path
("model/layer-1/kernel/.ATTRIBUTES/VARIABLE_VALUE"), and the graph's VarHandleOps carry names that need not match
anything (Keras 3 exports use "conv2d/kernel_1"). Those are resolved through the object graph: a call of a
saved concrete function passes its captured variables as its last inputs, in the order of that function's
`bound_inputs` (object ids); the checkpoint's TrackableObjectGraph gives each object id its checkpoint key.
"""
from __future__ import annotations

from collections import Counter

from irforge.core.graph import Graph, Output
from irforge.errors import ConversionError

from .checkpoint import Checkpoint


class VariableStore:
    """A checkpoint plus the handle-node -> checkpoint-key map worked out from a SavedModel's object graph."""

    def __init__(self, checkpoint: Checkpoint, keys_by_node: dict[str, str] | None = None,
                 keys_by_name: dict[str, str] | None = None):
        self.checkpoint = checkpoint
        self.keys_by_node = keys_by_node or {}
        self.keys_by_name = keys_by_name or {}
        self._outputs: dict[tuple[int, str], Output] = {}   # (graph, key): one Constant per variable and graph

    def key_for(self, node, top_level: bool) -> str | None:
        shared = node.attr["shared_name"].s.decode() if "shared_name" in node.attr else ""
        candidates = []
        if top_level and node.name in self.keys_by_node:
            candidates.append(self.keys_by_node[node.name])
        for name in (shared, node.name):
            if name:
                candidates += [self.keys_by_name.get(name), name, f"{name}/.ATTRIBUTES/VARIABLE_VALUE"]
        for key in candidates:
            if key and key in self.checkpoint:
                return key
        return None

    def output(self, graph: Graph, node, name: str, top_level: bool) -> Output:
        key = self.key_for(node, top_level)
        if key is None:
            near = [k for k in self.checkpoint.keys() if k.split("/")[-1] == node.name.split("/")[-1]][:3]
            hint = f"; checkpoint keys that look alike: {near}" if near else ""
            raise ConversionError(f"cannot find the value of this variable in the checkpoint "
                                  f"{self.checkpoint.prefix}{hint}", node=name, op_type=node.op)
        if (id(graph), key) not in self._outputs:
            t = self.checkpoint.tensor(key)
            self._outputs[(id(graph), key)] = graph.constant_from_file(t.data, t.element_type, t.shape, name=name)
        return self._outputs[(id(graph), key)]


def saved_model_variable_keys(meta_graph, checkpoint: Checkpoint) -> tuple[dict[str, str], dict[str, str]]:
    """(VarHandleOp node name -> checkpoint key, variable name -> checkpoint key) for a TF2 SavedModel."""
    tracked = checkpoint.object_graph
    if tracked is None or not meta_graph.HasField("object_graph_def"):
        return {}, {}
    key_of_object = {}
    for i, obj in enumerate(tracked.nodes):
        for attribute in obj.attributes:
            if attribute.name == "VARIABLE_VALUE":
                key_of_object[i] = attribute.checkpoint_key
    saved = meta_graph.object_graph_def
    by_node: dict[str, str] = {}
    for node in meta_graph.graph_def.node:
        if "f" not in node.attr:
            continue
        function = saved.concrete_functions.get(node.attr["f"].func.name)
        if function is None or not len(function.bound_inputs):
            continue
        data_inputs = [i for i in node.input if not i.startswith("^")]
        captured = data_inputs[len(data_inputs) - len(function.bound_inputs):]
        for ref, object_id in zip(captured, function.bound_inputs):
            if object_id in key_of_object:
                by_node[ref.split(":")[0]] = key_of_object[object_id]
    names = Counter(obj.variable.name for obj in saved.nodes if obj.WhichOneof("kind") == "variable")
    by_name = {obj.variable.name: key_of_object[i] for i, obj in enumerate(saved.nodes)
               if obj.WhichOneof("kind") == "variable" and names[obj.variable.name] == 1 and i in key_of_object}
    return by_node, by_name
