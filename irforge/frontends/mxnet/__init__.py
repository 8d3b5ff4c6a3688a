"""MXNet frontend: reads NAME-symbol.json and the NDArray weights files itself (no MXNet needed) and translates
the symbol op by op (table.py lists every op)."""
from __future__ import annotations

from irforge.core.graph import Graph
from irforge.frontends.base import overrides_from_options
from irforge.options import ConversionOptions

from .loader import load_graph


def accepts(options: ConversionOptions) -> bool:
    """A checkpoint (.params) or .nd weights, or the MXNet-only options."""
    if options.input_symbol or options.nd_prefix_name or options.pretrained_model_name:
        return True
    path = (options.input_model or "").lower()
    return path.endswith(".params") or path.endswith(".nd")


def load(options: ConversionOptions) -> Graph:
    return load_graph(options, overrides_from_options(options))
