"""A TensorFlow graph (GraphDef + function library + variables) -> Graph.

Translation is demand-driven: starting from the outputs, only the nodes the outputs need are translated (a
SavedModel's save/restore machinery, initialisers and summaries are never looked at). Function calls
(PartitionedCall, StatefulPartitionedCall, or an op named after a library function) are inlined: the body is
translated with its arguments bound to the caller's inputs. Before anything is translated, every needed node,
inside called functions too, is checked against the op table and all unsupported ops are reported at once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from irforge.core.element_type import ElementType
from irforge.core.graph import Graph, Origin, Output
from irforge.core.shape import PartialShape
from irforge.errors import ConversionError, UnsupportedOps
from irforge.frontends.base import InputOverrides, make_input

from .frames import ENTER, EXIT, MERGE, NEXT, SWITCH, Frames
from .node import TfNode
from .tensors import element_type_of, partial_shape

Translator = Callable[[TfNode], list[Output]]

# Ops with several output arguments: their names in order (function bodies address outputs as node:arg:index).
# Ops with a single output argument (list or not) need no entry: node:arg:i is output i.
OUTPUT_ARGS: dict[str, tuple[str, ...]] = {
    "FusedBatchNorm": ("y", "batch_mean", "batch_variance", "reserve_space_1", "reserve_space_2"),
    "FusedBatchNormV2": ("y", "batch_mean", "batch_variance", "reserve_space_1", "reserve_space_2"),
    "FusedBatchNormV3": ("y", "batch_mean", "batch_variance", "reserve_space_1", "reserve_space_2",
                         "reserve_space_3"),
    "Switch": ("output_false", "output_true"),
    "Merge": ("output", "value_index"),
    "TopKV2": ("values", "indices"),
    "Unique": ("y", "idx"),
    "UniqueWithCounts": ("y", "idx", "count"),
    "NonMaxSuppressionV4": ("selected_indices", "valid_outputs"),
    "NonMaxSuppressionV5": ("selected_indices", "selected_scores", "valid_outputs"),
    "CTCGreedyDecoder": ("decoded_indices", "decoded_values", "decoded_shape", "log_probability"),
    "BlockLSTM": ("i", "cs", "f", "o", "ci", "co", "h"),
    "BlockLSTMV2": ("i", "cs", "f", "o", "ci", "co", "h"),
    "LSTMBlockCell": ("i", "cs", "f", "o", "ci", "co", "h"),
    "GRUBlockCell": ("r", "u", "c", "h"),
    "MaxPoolWithArgmax": ("output", "argmax"),
    "BroadcastGradientArgs": ("r0", "r1"),
}
# Attributes that name functions a node runs (all of them are scanned for unsupported ops).
FUNCTION_ATTRS = ("f", "then_branch", "else_branch", "cond", "body")
# Ops that never produce a model output (graph sinks that are not results).
NOT_OUTPUTS = {"NoOp", "Assign", "AssignVariableOp", "AssignAdd", "AssignSub", "SaveV2", "Save", "SaveSlices",
               "RestoreV2", "Restore", "RestoreSlice", "MergeV2Checkpoints", "VarIsInitializedOp",
               "IsVariableInitialized", "Const", "Placeholder", "VarHandleOp", "VariableV2", "Variable",
               "ShardedFilename", "StringJoin", "Assert", "Print", "PrintV2", "ScalarSummary", "HistogramSummary",
               "MergeSummary", "DestroyResourceOp", "AssignAddVariableOp", "AssignSubVariableOp"}


@dataclass
class Scope:
    """One graph being translated: the top-level GraphDef or an inlined function body."""

    nodes: dict[str, object]
    graph: Graph                            # where translated nodes go (the model, or a Loop / If body)
    function: object | None = None          # the FunctionDef for a body
    values: dict[str, list[Output]] = field(default_factory=dict)
    prefix: str = ""                        # node-name prefix of an inlined body (the call site's name + "/")
    name_tensors: bool = False              # give translated outputs their TF tensor names ("node:i")
    # TF1 conditionals: for a node's outputs that live only in some branch, the (predicate, branch) pairs that
    # make them live (see frames.py); absent for the (usual) always-live ones.
    conditions: dict[str, list[tuple]] = field(default_factory=dict)

    def parse_ref(self, ref: str, library: dict) -> tuple[str, int] | None:
        """An input reference -> (node or argument name, flat output index); None for a control input."""
        if ref.startswith("^"):
            return None
        if self.function is None:
            name, _, port = ref.rpartition(":")
            if name and port.isdigit():
                return name, int(port)
            return ref, 0
        parts = ref.split(":")
        if len(parts) == 1:
            return ref, 0
        if len(parts) == 2:
            return parts[0], int(parts[1])
        node = self.nodes.get(parts[0])
        return parts[0], _flat_index(node, parts[1], int(parts[2]), library)


def _flat_index(node, arg: str, index: int, library: dict) -> int:
    if node is None:
        return index
    names = OUTPUT_ARGS.get(node.op)
    if names is None and node.op in library:
        names = tuple(a.name for a in library[node.op].signature.output_arg)
    if names and arg in names:
        return names.index(arg) + index
    return index


@dataclass
class TfModel:
    """What every TensorFlow input format is reduced to."""

    graph_def: object
    path: str | None = None
    # Model inputs and outputs as (IR name, TF tensor reference); None = Placeholders / graph sinks.
    inputs: list[tuple[str, str]] | None = None
    outputs: list[tuple[str, str]] | None = None
    variables: object | None = None           # a variables.VariableStore
    name_tensors: bool = True                 # name IR tensors after the TF tensors (not for SavedModel wrappers)
    name: str = "model"
    lazy_tensors: dict = field(default_factory=dict)  # top-level Const node -> FileSlice of its tensor_content


def node_ref(ref: str) -> tuple[str, int]:
    """A user's or signature's tensor name ("x", "x:0", "split:1") -> (node name, output index)."""
    name, _, port = ref.rpartition(":")
    if name and port.isdigit():
        return name, int(port)
    return ref, 0


class GraphTranslator:
    """Translates a TfModel with an op table into a Graph."""

    def __init__(self, model: TfModel, table: dict[str, Translator], overrides: InputOverrides):
        self.model = model
        self.table = table
        self.overrides = overrides
        self.library = {f.signature.name: f for f in model.graph_def.library.function}
        self.graph = Graph(model.name)
        self.variables = model.variables
        self.top = Scope({n.name: n for n in model.graph_def.node}, self.graph, name_tensors=model.name_tensors)
        self._bodies: dict[str, dict[str, object]] = {}
        self.frames = Frames(self)

    # -- the whole model -----------------------------------------------------------------------------------------
    def convert(self) -> Graph:
        outputs = self.model.outputs if self.model.outputs is not None else self.default_outputs()
        roots = [node_ref(ref) for _, ref in outputs]
        for name, _ in roots:
            if name not in self.top.nodes:
                raise ConversionError(f"output '{name}' is not a node of the graph")
        cut = self.user_cut_inputs()
        self.check_supported([n for n, _ in roots], set(cut))
        self.create_inputs(roots, cut)
        results = []
        for (ir_name, ref), (name, index) in zip(outputs, roots):
            values = self.ensure(self.top, name)
            if index >= len(values):
                raise ConversionError(f"output '{ref}' does not exist: node '{name}' has {len(values)} output(s)")
            results.append((ir_name, values[index]))
        for ir_name, out in results:
            if not self.top.name_tensors:
                out.names.add(ir_name)
            self.graph.result(out, name=ir_name if ir_name in out.names and not self.top.name_tensors
                              else f"{ir_name}/sink_port_0")
        return self.graph

    def default_outputs(self) -> list[tuple[str, str]]:
        """Graph sinks: nodes whose outputs no node reads (control edges aside), except bookkeeping ops."""
        consumed = set()  # control inputs count: a node kept only for its side effect ordering is no output
        for node in self.top.nodes.values():
            for ref in node.input:
                r = self.top.parse_ref(ref.lstrip("^"), self.library)
                if r is not None:
                    consumed.add(r[0])
        sinks = [n.name for n in self.top.nodes.values()
                 if n.name not in consumed and n.op not in NOT_OUTPUTS and not n.name.startswith("save/")
                 and not _string_output(n) and not self._control_flow_plumbing(n)]
        if not sinks:
            raise ConversionError("the graph has no output: name one with --output")
        return [(name, name) for name in sinks]

    def _control_flow_plumbing(self, node) -> bool:
        """TF1 control flow leaves sinks that are no results: the Exit of a loop variable nobody reads (a
        while_loop's counter), a cond's pivots (switch_t / switch_f: Identity of a Switch output, read only by
        control edges that were pruned), and the frame's own machinery."""
        if node.op in EXIT + ENTER + NEXT + SWITCH or node.op == "LoopCond":
            return True
        producers = (self.top.nodes.get(ref.split(":")[0]) for ref in node.input if not ref.startswith("^"))
        return any(p is not None and p.op in SWITCH for p in producers)

    def user_cut_inputs(self) -> dict[str, tuple[str, int]]:
        """--input names that are not Placeholders cut the graph there: that node becomes a model input."""
        cut = {}
        for key in self.overrides.by_name:
            name, port = node_ref(key)
            node = self.top.nodes.get(name)
            if node is None:
                if self.model.inputs is None:
                    raise ConversionError(f"--input '{key}' is not a node of the graph")
                continue
            if node.op != "Placeholder" or port:
                cut[name] = (key, port)
        return cut

    # -- support check -------------------------------------------------------------------------------------------
    def supported(self, op: str) -> bool:
        return op in self.table or op in self.library

    def check_supported(self, roots: list[str], stop: set[str]) -> None:
        missing: list[tuple[str, str]] = []
        self._needed = self.reachable(self.top, roots, stop)
        scanned: set[str] = set()
        self._scan(self.top, self._needed, "", missing, scanned)
        if missing:
            raise UnsupportedOps("TensorFlow", missing)

    def reachable(self, scope: Scope, roots: list[str], stop: set[str] = frozenset()) -> list[str]:
        seen: set[str] = set()
        order: list[str] = []
        stack = list(roots)
        while stack:
            name = stack.pop()
            if name in seen or name not in scope.nodes:
                continue
            seen.add(name)
            order.append(name)
            if name in stop:
                continue
            for ref in scope.nodes[name].input:
                r = scope.parse_ref(ref, self.library)
                if r is not None and r[0] not in seen:
                    stack.append(r[0])
        return order

    def _scan(self, scope: Scope, names: list[str], prefix: str, missing: list, scanned: set[str]) -> None:
        for name in names:
            node = scope.nodes[name]
            if not self.supported(node.op):
                missing.append((node.op, prefix + name))
                continue
            functions = [node.op] if node.op in self.library else []
            functions += [node.attr[a].func.name for a in FUNCTION_ATTRS if a in node.attr
                          and node.attr[a].WhichOneof("value") == "func"]
            for fname in functions:
                if fname in scanned:
                    continue
                scanned.add(fname)
                fdef = self.library.get(fname)
                if fdef is None:
                    raise ConversionError(f"calls function '{fname}', which the graph's library does not hold",
                                          node=prefix + name, op_type=node.op)
                body = Scope(self.body_nodes(fname), self.graph, fdef)
                roots = [r[0] for r in (body.parse_ref(v, self.library) for v in fdef.ret.values()) if r]
                self._scan(body, self.reachable(body, roots), f"{fname}/", missing, scanned)

    def body_nodes(self, fname: str) -> dict[str, object]:
        if fname not in self._bodies:
            self._bodies[fname] = {n.name: n for n in self.library[fname].node_def}
        return self._bodies[fname]

    # -- inputs --------------------------------------------------------------------------------------------------
    def create_inputs(self, roots: list[tuple[str, int]], cut: dict[str, tuple[str, int]]) -> None:
        needed = set(self._needed)
        position = 0
        if self.model.inputs is not None:
            declared = [(ir_name, node_ref(ref)[0]) for ir_name, ref in self.model.inputs]
        else:
            declared = [(n.name, n.name) for n in self.model.graph_def.node if n.op == "Placeholder"]
        # A signature's inputs all stay model inputs (its interface), used or not; other Placeholders only when
        # the outputs need them (a graph's training-only placeholders are not inputs of the inference model).
        keep = {node_name for _, node_name in declared} if self.model.inputs is not None else set()
        declared += [(n.name, n.name) for n in self.model.graph_def.node
                     if n.op == "Placeholder" and n.name not in keep and self.model.inputs is not None]
        for ir_name, node_name in declared:
            if node_name in cut or (node_name not in needed and node_name not in keep):
                continue
            if node_name not in self.top.nodes:
                raise ConversionError(f"the signature's input '{ir_name}' names '{node_name}', which is not a "
                                      "node of the graph")
            node = self.top.nodes[node_name]
            self.top.values[node_name] = [self.make_parameter(ir_name, node, position)]
            position += 1
        for node_name, (key, port) in cut.items():
            if node_name not in needed:
                continue
            node = self.top.nodes[node_name]
            if node.op == "PlaceholderWithDefault":  # named in --input: fed, not defaulted
                param = self.make_parameter(key, node, position)
                position += 1
            else:
                override = self.overrides.lookup(key, -1, (node_name, f"{node_name}:0"))
                param = make_input(self.graph, key, _output_type(node), PartialShape(None), override,
                                   Origin("tf", node_name, node.op))
            # Only the cut port exists now; a consumer of another output of that node is an error (translate_node).
            self.top.values[node_name] = [None] * port + [param]  # type: ignore[list-item]

    def make_parameter(self, ir_name: str, node, position: int) -> Output:
        dtype = node.attr["dtype"].type if "dtype" in node.attr else 1
        et = element_type_of(dtype, node.name)
        if "shape" in node.attr:
            shape = partial_shape(node.attr["shape"].shape)
        elif "_output_shapes" in node.attr and len(node.attr["_output_shapes"].list.shape):
            shape = partial_shape(node.attr["_output_shapes"].list.shape[0])  # graphs older than the shape attr
        else:
            shape = PartialShape(None)
        aliases = {node.name, f"{node.name}:0", ir_name}
        override = self.overrides.lookup(ir_name, position, sorted(aliases - {ir_name}))
        return make_input(self.graph, ir_name, et, shape, override, Origin("tf", node.name, node.op,
                                                                           self.model.path))

    # -- translation ---------------------------------------------------------------------------------------------
    def ensure(self, scope: Scope, name: str) -> list[Output]:
        """Translate `name` and whatever it needs (depth first, without recursion) and return its outputs."""
        if name in scope.values:
            return scope.values[name]
        visiting: set[str] = set()
        stack = [name]
        while stack:
            current = stack[-1]
            if current in scope.values:
                stack.pop()
                continue
            node = scope.nodes.get(current)
            if node is None:
                raise ConversionError(f"input '{current}' is produced by no node"
                                      + (f" of function '{scope.function.signature.name}'" if scope.function
                                         else ""), node=scope.prefix + stack[-2] if len(stack) > 1 else None)
            pending = []
            for ref in ([] if node.op in EXIT else node.input):  # an Exit translates its whole loop frame
                r = scope.parse_ref(ref, self.library)
                if r is not None and r[0] not in scope.values:
                    pending.append(r[0])
            if pending:
                if current in visiting:
                    raise ConversionError("the graph has a cycle through this node (TF1 loops need the control "
                                          "flow conversion)", node=scope.prefix + current, op_type=node.op)
                visiting.add(current)
                stack.extend(reversed(pending))
                continue
            self.translate_node(scope, node)
            stack.pop()
        return scope.values[name]

    def translate_node(self, scope: Scope, proto) -> None:
        inputs, conditions = [], []
        for ref in ([] if proto.op in EXIT else proto.input):
            r = scope.parse_ref(ref, self.library)
            if r is None:
                continue
            values = scope.values[r[0]]
            if r[1] >= len(values) or values[r[1]] is None:
                raise ConversionError(f"reads output {r[1]} of '{r[0]}', which has no such output after "
                                      "translation (or the graph was cut at another output of it)",
                                      node=scope.prefix + proto.name, op_type=proto.op)
            inputs.append(values[r[1]])
            conditions.append(scope.conditions[r[0]][r[1]] if r[0] in scope.conditions else ())
        node = TfNode(proto, inputs, scope.graph, scope, self, self.model.path)
        live = max(conditions, key=len, default=())
        translator = self.table.get(proto.op)
        if proto.op in MERGE:
            outputs, live = self.frames.merge(node, conditions)
        elif translator is None:
            if proto.op not in self.library:
                raise UnsupportedOps("TensorFlow", [(proto.op, node.name)])
            outputs = self.call_function(proto.op, inputs, node.name, scope.graph)
        else:
            outputs = translator(node)
        if proto.op in SWITCH:  # output 0 lives when the predicate is false, output 1 when it is true
            scope.conditions[proto.name] = [live + ((inputs[1], False),), live + ((inputs[1], True),)]
        elif proto.op == "_SwitchN":  # output k lives when the index is k
            scope.conditions[proto.name] = [live + ((inputs[1], k),) for k in range(len(outputs))]
        elif live:
            scope.conditions[proto.name] = [live] * len(outputs)
        if scope.name_tensors:
            names = [f"{proto.name}:{i}" for i in range(len(outputs))]
            node.finish(outputs, names)
            if outputs and outputs[0] is not None:
                outputs[0].names.add(proto.name)
        else:
            node.finish(outputs, [])
            producers = [o.node for o in outputs if o is not None and o.node in node.created]
            if producers:
                producers[0].name = scope.graph.unique_name(node.name)
        scope.values[proto.name] = outputs

    def variable_value(self, n: TfNode) -> Output:
        if self.variables is None:
            raise n.error("reads a variable, but no checkpoint gives its value: convert the SavedModel directory "
                          "(--saved_model_dir), give the checkpoint (--input_checkpoint or --input_meta_graph), "
                          "or freeze the graph first")
        return self.variables.output(n.graph, n.proto, n.name, top_level=n.scope.function is None)

    def call_function(self, fname: str, inputs: list[Output], call_site: str, graph: Graph) -> list[Output]:
        """Inline a library function into `graph`: its body is translated with its arguments bound to `inputs`
        (the caller's graph for a call; a Loop / If body graph for control flow)."""
        fdef = self.library.get(fname)
        if fdef is None:
            raise ConversionError(f"calls function '{fname}', which the graph's library does not hold",
                                  node=call_site)
        args = fdef.signature.input_arg
        if len(args) != len(inputs):
            raise ConversionError(f"calls '{fname}' with {len(inputs)} inputs; it takes {len(args)}",
                                  node=call_site)
        body = Scope(self.body_nodes(fname), graph, fdef, prefix=call_site + "/")
        for arg, x in zip(args, inputs):
            body.values[arg.name] = [x]
        outputs = []
        for arg in fdef.signature.output_arg:
            ref = fdef.ret.get(arg.name)
            if ref is None:
                raise ConversionError(f"function '{fname}' does not return its output '{arg.name}'",
                                      node=call_site)
            name, index = body.parse_ref(ref, self.library)
            outputs.append(self.ensure(body, name)[index])
        return outputs


def _string_output(node) -> bool:
    for key in ("dtype", "T", "out_type"):
        if key in node.attr and node.attr[key].WhichOneof("value") == "type":
            return node.attr[key].type in (7, 20, 21)
    return False


def _output_type(node) -> ElementType:
    for key in ("T", "dtype", "out_type", "DstT"):
        if key in node.attr and node.attr[key].WhichOneof("value") == "type":
            return element_type_of(node.attr[key].type, node.name)
    return ElementType.f32
