"""Linear algebra: Einsum (one-to-one) and Det (no OpenVINO op: the Leibniz sum over permutations)."""
from __future__ import annotations

import itertools

import numpy as np

from irforge import ops
from irforge.core.graph import Output

from ..node import OnnxNode
from .generic import i64

DET_MAX_SIZE = 6  # Leibniz has M! terms: 720 gathers of M values at M = 6


def einsum(n: OnnxNode) -> list[Output]:
    equation = n.attr("equation", "").replace(" ", "")
    return [n.out(ops.Einsum(equation=equation), *(x for x in n.inputs if x is not None))]


def _permutation_sign(perm: tuple[int, ...]) -> int:
    sign, seen = 1, list(perm)
    for i in range(len(seen)):
        while seen[i] != i:
            j = seen[i]
            seen[i], seen[j] = seen[j], seen[i]
            sign = -sign
    return sign


def det(n: OnnxNode) -> list[Output]:
    """det(A) = sum over permutations p of sign(p) * prod_i A[i, p(i)], for matrices up to 6 x 6."""
    x = n.input(0)
    if x.shape.rank is None or x.shape.rank < 2 or not isinstance(x.shape[-1], int):
        raise n.error(f"needs [..., M, M] matrices of a known size, got [{x.shape}]")
    size = x.shape[-1]
    if size > DET_MAX_SIZE:
        raise n.error(f"matrices of size {size} are not supported (at most {DET_MAX_SIZE})")
    perms = list(itertools.permutations(range(size)))
    flat_index = i64([[i * size + p[i] for i in range(size)] for p in perms])         # [P, M]
    signs = np.array([_permutation_sign(p) for p in perms], x.element_type.numpy)       # [P]
    lead = n.out(ops.Slice(), n.out(ops.ShapeOf(), x), n.const(i64([0])), n.const(i64([-2])), n.const(i64([1])))
    flat = n.out(ops.Reshape(), x, n.out(ops.Concat(axis=0), lead, n.const(i64([size * size]))))
    # One gather per matrix row, multiplied together: [*, P] each. (Gather -> ReduceProd over the rows gave
    # wrong values in the CPU plugin of OpenVINO 2026.4 once fused with the following ops.)
    products = None
    for row in range(size):
        term = n.out(ops.Gather(), flat, n.const(flat_index[:, row]), n.const(i64(-1)))
        products = term if products is None else n.out(ops.Multiply(), products, term)
    assert products is not None
    signed = n.out(ops.Multiply(), products, n.const(signs, x.element_type))
    return [n.out(ops.ReduceSum(keep_dims=False), signed, n.const(i64([-1])))]
