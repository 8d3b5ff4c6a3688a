"""The TensorFlow input formats, each reduced to a TfModel: frozen GraphDef (.pb binary, .pbtxt text),
SavedModel directory, MetaGraph (.meta) + checkpoint, GraphDef + checkpoint."""
from __future__ import annotations

import os
import re

from google.protobuf import text_format
from google.protobuf.message import DecodeError

from irforge.errors import InputError, OptionError

from . import pbtxt, protos, wire
from .checkpoint import Checkpoint, resolve_prefix
from .loader import TfModel
from .variables import VariableStore, saved_model_variable_keys

SERVING_SIGNATURE = "serving_default"
INIT_SIGNATURE = "__saved_model_init_op"


def _read_bytes(path: str, what: str) -> bytes:
    if not os.path.exists(path):
        raise InputError(f"the {what} does not exist", path=path)
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise InputError(f"cannot read the {what}: {e.strerror}", path=path) from None


def parse_message(message_class, data: bytes, path: str, text: bool | None, what: str):
    """Binary or text protobuf. text=None tries binary first, then text (a .pbtxt given without the flag)."""
    if not text:
        try:
            return message_class.FromString(data)
        except DecodeError as e:
            if text is False or not _looks_like_text(data):
                raise InputError(f"not a binary {what} ({e}); if it is a text file, pass --input_model_is_text",
                                 path=path) from None
    message = message_class()
    try:
        try:
            pbtxt.parse(data, message)        # weights cut out of the text first: ~10x faster on big graphs
        except pbtxt.NotLifted:
            message = message_class()
            text_format.Parse(data.decode("utf-8"), message, allow_unknown_field=True)
    except (text_format.ParseError, UnicodeDecodeError) as e:
        raise InputError(f"not a text {what}: {e}", path=path) from None
    return message


def _looks_like_text(data: bytes) -> bool:
    head = data[:4096]
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return re.search(rb"^\s*(node|meta_info_def|graph_def|saved_model_schema_version|versions)\s*[{:]", head,
                     re.M) is not None


def frozen_graph(path: str, text: bool, checkpoint: str | None = None) -> TfModel:
    """A GraphDef file; variables (if the graph reads any) from --input_checkpoint. A binary GraphDef's big
    constants stay in the file (wire.py)."""
    as_text = True if text or path.lower().endswith((".pbtxt", ".txt")) else None
    lazy: dict = {}
    graph_def = None
    if not as_text and os.path.exists(path):
        try:
            graph_def, lazy = wire.read_graph_def(path)
        except (InputError, DecodeError):
            graph_def = None  # not a binary GraphDef after all: the full parse below says why, or reads text
    if graph_def is None:
        graph_def = parse_message(protos.GraphDef, _read_bytes(path, "model file"), path, as_text, "GraphDef")
    variables = VariableStore(Checkpoint(checkpoint)) if checkpoint else None
    return TfModel(graph_def, path, variables=variables, name=_stem(path), lazy_tensors=lazy)


def meta_graph(path: str, checkpoint: str | None) -> TfModel:
    """A .meta MetaGraphDef; its checkpoint is --input_checkpoint or the files beside it (PREFIX.meta)."""
    data = _read_bytes(path, "meta graph")
    meta = parse_message(protos.MetaGraphDef, data, path, path.lower().endswith(".pbtxt") or None, "MetaGraphDef")
    prefix = checkpoint or (path[:-len(".meta")] if path.endswith(".meta") else None)
    variables = None
    if prefix:
        try:
            variables = VariableStore(Checkpoint(resolve_prefix(prefix)))
        except InputError:
            if checkpoint:
                raise
    model = TfModel(meta.graph_def, path, variables=variables, name=_stem(path))
    if SERVING_SIGNATURE in meta.signature_def:
        _apply_signature(model, meta.signature_def[SERVING_SIGNATURE], meta.graph_def, keep_tensor_names=True)
    return model


def saved_model(directory: str, tags: list[str]) -> TfModel:
    """A SavedModel directory: the MetaGraph with the given tags (default "serve"), its serving signature, and the
    variables/ checkpoint resolved through the object graph."""
    if not os.path.isdir(directory):
        raise InputError("the SavedModel directory does not exist", path=directory)
    pb = os.path.join(directory, "saved_model.pb")
    if os.path.exists(pb):
        saved = parse_message(protos.SavedModel, _read_bytes(pb, "SavedModel"), pb, False, "SavedModel")
    else:
        pb = os.path.join(directory, "saved_model.pbtxt")
        saved = parse_message(protos.SavedModel, _read_bytes(pb, "SavedModel"), pb, True, "SavedModel")
    meta = _choose_meta_graph(saved, tags, pb)
    variables = None
    prefix = os.path.join(directory, "variables", "variables")
    if os.path.exists(prefix + ".index"):
        checkpoint = Checkpoint(prefix)
        by_node, by_name = saved_model_variable_keys(meta, checkpoint)
        variables = VariableStore(checkpoint, by_node, by_name)
    name = os.path.basename(os.path.normpath(directory)) or "saved_model"
    model = TfModel(meta.graph_def, pb, variables=variables, name=name, name_tensors=False)
    signatures = {k: v for k, v in meta.signature_def.items() if k != INIT_SIGNATURE}
    if SERVING_SIGNATURE in signatures:
        signature = signatures[SERVING_SIGNATURE]
    elif len(signatures) == 1:
        signature = next(iter(signatures.values()))
    elif not signatures:
        model.name_tensors = True  # a TF1 SavedModel without signatures: plain graph inputs and sinks
        return model
    else:
        raise InputError(f"the SavedModel has several signatures ({', '.join(sorted(signatures))}) and none is "
                         f"'{SERVING_SIGNATURE}'", path=pb)
    _apply_signature(model, signature, meta.graph_def, keep_tensor_names=False)
    return model


def _choose_meta_graph(saved, tags: list[str], path: str):
    graphs = list(saved.meta_graphs)
    if not graphs:
        raise InputError("the SavedModel holds no MetaGraph", path=path)
    wanted = set(tags or ["serve"])
    for meta in graphs:
        if set(meta.meta_info_def.tags) == wanted:
            return meta
    if not tags and len(graphs) == 1:
        return graphs[0]
    available = "; ".join(",".join(m.meta_info_def.tags) or "(none)" for m in graphs)
    raise OptionError("--saved_model_tags", ",".join(sorted(wanted)), f"the tags of one MetaGraph: {available}")


def _natural(key: str):
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", key)]


def _apply_signature(model: TfModel, signature, graph_def, keep_tensor_names: bool) -> None:
    """Model inputs in the order of their Placeholders in the graph, outputs by key; IR names are the keys."""
    order = {n.name: i for i, n in enumerate(graph_def.node)}
    inputs = sorted(signature.inputs.items(), key=lambda kv: order.get(kv[1].name.split(":")[0], len(order)))
    model.inputs = [(key, info.name) for key, info in inputs]
    model.outputs = [(key, signature.outputs[key].name) for key in sorted(signature.outputs, key=_natural)]
    model.name_tensors = keep_tensor_names


def _stem(path: str) -> str:
    base = os.path.basename(path)
    return base.rsplit(".", 1)[0] if "." in base else base
