"""MXNet symbol + weights -> Graph, with no MXNet installed.

Weights come from a checkpoint (NAME-0000.params beside NAME-symbol.json), or from the legacy style-transfer flow
(--nd_prefix_name PREFIX: PREFIX_args.nd / PREFIX_auxs.nd, with --pretrained_model_name filling the arguments the
.nd files lack). They stay in their files (FileSlice) until the IR writer copies them.

A variable is a weight when the weights hold its name (and the user did not name it with --input), else a model
input; loss-layer labels that inference never reads are not inputs. Output tensors get MXNet's own names
(`sym.list_outputs()`: `fc1_output`), layers the symbol's node names.
"""
from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Graph, Origin, Output, Parameter
from irforge.core.shape import DYNAMIC, PartialShape
from irforge.errors import ConversionError, InputError, OptionError
from irforge.extensions import extension_table
from irforge.frontends.base import InputOverrides, make_input, report_unsupported
from irforge.options import ConversionOptions

from .node import MxNode, output_name
from .params import TYPE_FLAGS, StoredArray, read_ndarray_file, split_prefix, write_ndarray_file
from .ssd import OUTPUT_NAME as SSD_OUTPUT
from .ssd import detection_output, plan_ssd
from .symbol_json import Symbol, SymbolNode, read_symbol
from .table import ARGUMENTS, OP_TABLE, UNUSED_INPUTS, Translator

log = logging.getLogger("irforge.mxnet")


@dataclass
class Weights:
    """Weights by variable name (prefixes stripped): arguments and auxiliary states together."""

    arrays: dict[str, StoredArray] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)

    def add(self, stored: list[StoredArray], only: set[str] | None = None, keep: bool = False) -> None:
        for a in stored:
            _, name = split_prefix(a.name)
            if only is not None and name not in only:
                continue
            if keep and name in self.arrays:
                continue
            self.arrays[name] = a


# -- finding the files ---------------------------------------------------------------------------------------------
_CHECKPOINT = re.compile(r"^(?P<prefix>.*)-(?P<epoch>\d+)\.params$")


def symbol_beside(params_path: str) -> str:
    """NAME-0000.params -> NAME-symbol.json (NAME.params -> NAME-symbol.json)."""
    m = _CHECKPOINT.match(params_path)
    prefix = m.group("prefix") if m else os.path.splitext(params_path)[0]
    return f"{prefix}-symbol.json"


def load_model_files(options: ConversionOptions) -> tuple[Symbol, Weights]:
    """The symbol and the weights the options name (both flows)."""
    if options.nd_prefix_name or options.pretrained_model_name:
        return _nd_flow(options)
    model = options.input_model
    if not model:
        if options.input_symbol:
            raise OptionError("--input_model", None, "the NAME-0000.params checkpoint of --input_symbol (or "
                              "--nd_prefix_name with --pretrained_model_name for .nd weights)")
        raise InputError("no --input_model given")
    if model.endswith(".json"):
        raise OptionError("--input_model", model, "the weights (NAME-0000.params); give the symbol with "
                          "--input_symbol or put NAME-symbol.json beside the weights")
    symbol_path = options.input_symbol or symbol_beside(model)
    symbol = read_symbol(symbol_path)
    weights = Weights(sources=[model])
    weights.add(read_ndarray_file(model))
    return symbol, weights


def _nd_flow(options: ConversionOptions) -> tuple[Symbol, Weights]:
    missing = [flag for flag, value in (("--nd_prefix_name", options.nd_prefix_name),
                                        ("--pretrained_model_name", options.pretrained_model_name),
                                        ("--input_symbol", options.input_symbol)) if not value]
    if missing:
        raise OptionError(missing[0], None, "--nd_prefix_name, --pretrained_model_name and --input_symbol "
                          "together (the .nd weights, the checkpoint that fills what they lack, the symbol)")
    pretrained = str(options.pretrained_model_name)
    folder = os.path.dirname(os.path.abspath(pretrained))
    prefix = str(options.nd_prefix_name)
    args_path = os.path.join(folder, f"{prefix}_args.nd")
    auxs_path = os.path.join(folder, f"{prefix}_auxs.nd")
    symbol = read_symbol(str(options.input_symbol))
    inputs = {s.name for s in options.input if getattr(s, "port", None) is None} or {"data"}
    weights = Weights(sources=[args_path, auxs_path, pretrained])
    weights.add(read_ndarray_file(args_path))
    if os.path.exists(auxs_path):
        weights.add(read_ndarray_file(auxs_path))
    # The pretrained checkpoint's arguments fill what the .nd files lack (the .nd values win), as the legacy
    # Model Optimizer merges them: only names its own symbol lists as arguments, never the inputs.
    pre_symbol_path = symbol_beside(pretrained)
    pre_vars = {v.name for v in read_symbol(pre_symbol_path).variables()} if os.path.exists(pre_symbol_path) else None
    stored = [a for a in read_ndarray_file(pretrained) if split_prefix(a.name)[1] not in inputs]
    weights.add([a for a in stored if split_prefix(a.name)[0] != "aux"], only=pre_vars, keep=True)
    weights.add([a for a in stored if split_prefix(a.name)[0] == "aux"], keep=True)
    if options.save_params_from_nd:
        save_merged_params(options, symbol, weights)
    return symbol, weights


def save_merged_params(options: ConversionOptions, symbol: Symbol, weights: Weights) -> str:
    """--save_params_from_nd: the merged weights as a checkpoint beside the symbol (NAME-EPOCH.params, the epoch
    of the pretrained checkpoint), so later conversions need only --input_model."""
    m = _CHECKPOINT.match(os.path.basename(str(options.pretrained_model_name)))
    epoch = int(m.group("epoch")) if m else 0
    sym_path = str(options.input_symbol)
    prefix = sym_path[: -len("-symbol.json")] if sym_path.endswith("-symbol.json") else os.path.splitext(sym_path)[0]
    path = f"{prefix}-{epoch:04d}.params"
    aux_names = auxiliary_names(symbol)
    items = []
    for name, a in weights.arrays.items():
        kind = "aux" if name in aux_names else "arg"
        items.append((f"{kind}:{name}", a.element_type, a.shape, a.file_slice().buffer()))
    write_ndarray_file(path, items)
    log.info("wrote the merged weights to %s", path)
    return path


def auxiliary_names(symbol: Symbol) -> set[str]:
    """Variables that ops read as auxiliary states (BatchNorm's moving mean and variance)."""
    names = set()
    for node in symbol.nodes:
        aux_positions = AUX_INPUTS.get(node.op, ())
        for pos in aux_positions:
            if pos < len(node.inputs) and symbol.nodes[node.inputs[pos][0]].is_variable:
                names.add(symbol.nodes[node.inputs[pos][0]].name)
    return names


AUX_INPUTS = {"BatchNorm": (3, 4), "SyncBatchNorm": (3, 4), "_contrib_SyncBatchNorm": (3, 4), "BatchNorm_v1": (3, 4)}


# -- translating ---------------------------------------------------------------------------------------------------
class MxnetConverter:
    def __init__(self, symbol: Symbol, weights: Weights, overrides: InputOverrides, user_inputs: set[str],
                 name: str, table: dict[str, Translator] | None = None):
        self.table = OP_TABLE if table is None else table
        self.symbol = symbol
        self.weights = weights
        self.overrides = overrides
        self.user_inputs = user_inputs
        self.graph = Graph(name)
        self.values: dict[tuple[int, int], Output] = {}

    def convert(self, ssd: bool = False) -> Graph:
        nodes = self.symbol.nodes
        self.complete_missing_arguments()
        plan = plan_ssd(self.symbol) if ssd else None
        needed = plan.needed if plan else set(range(len(nodes)))
        report_unsupported("MXNet", [(n.op, n.name) for n in nodes if not n.is_variable and n.index in needed],
                           lambda op: op in self.table)
        read = self.variables_read(needed)
        position = 0
        for node in nodes:
            if not node.is_variable or node.index not in read:
                continue
            if node.name in self.weights.arrays and node.name not in self.user_inputs:
                self.values[(node.index, 0)] = self.weight(node.name)
            else:
                self.values[(node.index, 0)] = self.make_input(node, position)
                position += 1
        for node in nodes:
            if node.is_variable or node.index not in needed:
                continue
            self.translate(node)
        if plan is not None:
            self.graph.result(detection_output(self.graph, plan, self.values), name=SSD_OUTPUT)
            return self.graph
        for entry in self.symbol.heads:
            node = nodes[entry[0]]
            x = self.values.get(entry)
            if x is None:
                if node.is_variable:
                    x = self.values[entry] = self.make_input(node, position)
                    position += 1
                else:
                    raise ConversionError(f"output {entry[1]} is not produced by irforge's translation",
                                          node=node.name, op_type=node.op)
            self.graph.result(x, name=output_name(node, entry[1]))
        return self.graph

    def translate(self, node: SymbolNode) -> None:
        nodes = self.symbol.nodes
        inputs = [self.values.get(entry) for entry in node.inputs]
        producers = [nodes[i] for i, _ in node.inputs]
        for k, (entry, x) in enumerate(zip(node.inputs, inputs)):
            if x is None and k not in UNUSED_INPUTS.get(node.op, ()):
                raise ConversionError(f"input {k} ('{output_name(nodes[entry[0]], entry[1])}') has no value",
                                      node=node.name, op_type=node.op)
        n = MxNode(node, inputs, producers, self.graph, self.symbol.path)  # type: ignore[arg-type]
        outputs = self.table[node.op](n)
        # A translation that passes a model input through (Dropout, identity) must not rename that input.
        n.finish(outputs, ["" if isinstance(out.node.op, Parameter) else output_name(node, k)
                           for k, out in enumerate(outputs)])
        for k, out in enumerate(outputs):
            self.values[(node.index, k)] = out

    def variables_read(self, needed: set[int]) -> set[int]:
        """Variables some needed op reads at an input it uses (a SoftmaxOutput label is never read)."""
        read = set()
        for node in self.symbol.nodes:
            if node.index not in needed:
                continue
            skip = UNUSED_INPUTS.get(node.op, ())
            for k, (i, _) in enumerate(node.inputs):
                if k not in skip:
                    read.add(i)
        return read

    def complete_missing_arguments(self) -> None:
        """Symbols of MXNet < 1.0 may omit an op's weight variables (auxiliary states above all); MXNet names
        them NODE_ARGUMENT, and so do the checkpoints, so add variables of those names."""
        nodes = self.symbol.nodes
        for node in list(nodes):
            names = ARGUMENTS.get(node.op)
            if not names or len(node.inputs) >= len(names):
                continue
            for arg in names[len(node.inputs):]:
                wanted = f"{node.name}_{arg}"
                if wanted not in self.weights.arrays:
                    break
                var = SymbolNode(len(nodes), "null", wanted)
                nodes.append(var)
                node.inputs.append((var.index, 0))

    def weight(self, name: str) -> Output:
        stored = self.weights.arrays[name]
        out = self.graph.constant_from_file(stored.file_slice(), stored.element_type, stored.shape, name=name)
        out.names.add(name)
        if stored.element_type in (ElementType.f16, ElementType.bf16, ElementType.f64):
            # Every MXNet op computes in the data's type (f32): widen, keeping f16/bf16 weights compressed.
            convert = self.graph.add(ops.Convert(ElementType.f32), out, name=f"{name}/convert")
            if stored.element_type != ElementType.f64:
                convert.rt_info["decompression"] = ""
            out = convert.outputs[0]
        return out

    def make_input(self, node: SymbolNode, position: int) -> Output:
        et = ElementType.f32
        if "__dtype__" in node.attrs:  # an mshadow type flag, as in the NDArray files
            flag = int(node.attrs["__dtype__"])
            et = TYPE_FLAGS.get(flag, ElementType.f32)
        shape = PartialShape(None)
        if "__shape__" in node.attrs:
            dims = [int(d) for d in re.findall(r"-?\d+", node.attrs["__shape__"])]
            # MXNet writes 0 (or -1 with np shapes) for a dim it does not know.
            shape = PartialShape([d if d > 0 else DYNAMIC for d in dims])
        override = self.overrides.lookup(node.name, position)
        return make_input(self.graph, node.name, et, shape, override, Origin("mxnet", node.name, "null",
                                                                             self.symbol.path))


def load_graph(options: ConversionOptions, overrides: InputOverrides) -> Graph:
    symbol, weights = load_model_files(options)
    user_inputs = {s.name for s in options.input if getattr(s, "port", None) is None}
    unknown = sorted(user_inputs - {v.name for v in symbol.variables()})
    if unknown and not any(":" in u for u in unknown):
        raise OptionError("--input", unknown[0], "a variable of the symbol (" +
                          ", ".join(v.name for v in symbol.variables() if v.name not in weights.arrays)[:200] + ")")
    name = os.path.basename(options.input_model or options.input_symbol or "model")
    name = re.sub(r"(-\d+\.params|-symbol\.json|\.params|\.nd|\.json)$", "", name) or "model"
    table = {**OP_TABLE, **extension_table(options.extensions, "mxnet")}
    return MxnetConverter(symbol, weights, overrides, user_inputs, name, table).convert(
        ssd=options.enable_ssd_gluoncv)
