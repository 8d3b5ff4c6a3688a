"""TensorFlow frontend: frozen GraphDefs (.pb / .pbtxt), SavedModels, MetaGraphs and checkpoints, read with
irforge's own protobuf descriptors and checkpoint reader (TensorFlow itself is never imported)."""
from __future__ import annotations

import os

from irforge.core.graph import Graph
from irforge.errors import InputError
from irforge.extensions import extension_table
from irforge.frontends.base import overrides_from_options
from irforge.options import ConversionOptions

from . import sources
from .loader import GraphTranslator, TfModel
from .table import OP_TABLE

EXTENSIONS = (".pb", ".pbtxt", ".meta", ".graphdef")


def accepts(options: ConversionOptions) -> bool:
    if options.saved_model_dir or options.input_meta_graph:
        return True
    path = options.input_model or ""
    if path.lower().endswith(EXTENSIONS):
        return True
    if options.input_checkpoint or options.input_model_is_text:
        return True
    return bool(path) and os.path.isdir(path) and os.path.exists(os.path.join(path, "saved_model.pb"))


def read_model(options: ConversionOptions) -> TfModel:
    """The options' TensorFlow model in whichever form it was given."""
    if options.saved_model_dir:
        return sources.saved_model(options.saved_model_dir, options.saved_model_tags)
    if options.input_meta_graph:
        return sources.meta_graph(options.input_meta_graph, options.input_checkpoint)
    path = options.input_model
    if not path:
        raise InputError("no TensorFlow model given: use --input_model, --saved_model_dir or --input_meta_graph")
    if os.path.isdir(path):
        return sources.saved_model(path, options.saved_model_tags)
    if path.endswith(".meta"):
        return sources.meta_graph(path, options.input_checkpoint)
    return sources.frozen_graph(path, options.input_model_is_text, options.input_checkpoint)


def load(options: ConversionOptions) -> Graph:
    model = read_model(options)
    outputs = [(name, name) for name in options.output] if options.output else None
    if outputs is not None:
        model.outputs = outputs
        model.name_tensors = True
    if options.tensorboard_logdir:
        from .tensorboard import write_graph
        # A frozen .pb is the serialized GraphDef itself (its parsed form lacks the weights left in the file).
        graph = open(model.path, "rb").read() if model.lazy_tensors else model.graph_def.SerializeToString()
        write_graph(graph, options.tensorboard_logdir)
    table = {**OP_TABLE, **extension_table(options.extensions, "tensorflow")}
    return GraphTranslator(model, table, overrides_from_options(options)).convert()
