"""Kaldi frontend: nnet1 (final.nnet), nnet2 (final.mdl) and nnet3 (final.mdl, final.raw) models, text or
binary, to streaming IRs that reproduce Kaldi frame for frame (see docs/KALDI.md)."""
from __future__ import annotations

from irforge.core.graph import Graph
from irforge.extensions import extension_table
from irforge.options import ConversionOptions


def accepts(options: ConversionOptions) -> bool:
    from .reader import looks_like_kaldi
    path = options.input_model or ""
    return bool(path) and looks_like_kaldi(path)


def load(options: ConversionOptions) -> Graph:
    from .convert import convert_network, load_network
    extension_table(options.extensions, "kaldi")    # rejects --extensions with the reason (Kaldi takes none)
    return convert_network(load_network(options), options)
