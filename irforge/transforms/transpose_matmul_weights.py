"""MatMul by constant 2-D weights stored [K, N] (PyTorch exports Linear on >2-D inputs this way) gets them
stored [N, K] with transpose_b: the layout of a FullyConnected layer. The OpenVINO CPU plugin otherwise keeps
a Transpose of the weights in the graph it runs (and tokenizes the neighbourhood differently)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from irforge import ops
from irforge.core.graph import Constant, Graph


def transpose_matmul_weights(graph: Graph) -> int:
    changed = 0
    for node in graph.nodes_of(ops.MatMul):
        w = node.inputs[1]
        if node.op.transpose_b or not isinstance(w.node.op, Constant) or w.shape.rank != 2:
            continue
        if isinstance(node.inputs[0].node.op, Constant):
            continue                      # both constant: folding's business
        weights = graph.constant(np.ascontiguousarray(w.node.op.array().T))
        new = graph.out(replace(node.op, transpose_b=True), node.inputs[0], weights, name=node.name)
        graph.replace_uses(node.outputs[0], new)
        graph.remove(node)
        if not w.uses:                    # the weights keep their name (what --compress_to_fp16 and users see)
            graph.remove(w.node)
            weights.node.name = w.node.name
        changed += 1
    return changed
