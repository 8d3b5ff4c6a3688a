"""Matrix products: MatMul (numpy matmul semantics with transpose flags) and Einsum."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from irforge.core.shape import DYNAMIC, broadcast_shapes, dim_merge

from .base import Op, PartialShape, TensorInfo, same_element_type


@dataclass(frozen=True)
class MatMul(Op):
    """opset1 MatMul: 1-D operands are promoted (and the added axis removed), batch dims broadcast."""

    TYPE = "MatMul"
    transpose_a: bool = False
    transpose_b: bool = False

    def infer(self, a: TensorInfo, b: TensorInfo) -> list[TensorInfo]:
        et = same_element_type(self, a, b)
        if a.rank is None or b.rank is None:
            return [TensorInfo(et, PartialShape(None))]
        if a.rank == 0 or b.rank == 0:
            raise ValueError("MatMul operands must have rank >= 1")
        sa, sb = list(a.shape), list(b.shape)
        if len(sa) > 1 and self.transpose_a:
            sa[-1], sa[-2] = sa[-2], sa[-1]
        if len(sb) > 1 and self.transpose_b:
            sb[-1], sb[-2] = sb[-2], sb[-1]
        a_vec, b_vec = len(sa) == 1, len(sb) == 1
        if a_vec:
            sa = [1] + sa
        if b_vec:
            sb = sb + [1]
        k_a, k_b = sa[-1], sb[-2]
        if isinstance(k_a, int) and isinstance(k_b, int) and k_a != k_b:
            raise ValueError(f"MatMul inner dims differ: [{a.shape}] x [{b.shape}]"
                             f"{' (transposed)' if self.transpose_a or self.transpose_b else ''}")
        dim_merge(k_a, k_b)
        batch = broadcast_shapes(PartialShape(sa[:-2]), PartialShape(sb[:-2]))
        out = list(batch) + ([] if a_vec else [sa[-2]]) + ([] if b_vec else [sb[-1]])
        return [TensorInfo(et, PartialShape(out))]

    def evaluate(self, a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
        if self.transpose_a and a.ndim > 1:
            a = np.swapaxes(a, -1, -2)
        if self.transpose_b and b.ndim > 1:
            b = np.swapaxes(b, -1, -2)
        return [np.matmul(a, b).astype(a.dtype, copy=False)]


@dataclass(frozen=True)
class Einsum(Op):
    """opset7 Einsum with an explicit equation (ellipsis allowed)."""

    TYPE = "Einsum"
    VERSION = "opset7"
    equation: str = ""

    def infer(self, *xs: TensorInfo) -> list[TensorInfo]:
        et = same_element_type(self, *xs)
        if any(x.rank is None for x in xs):
            return [TensorInfo(et, PartialShape(None))]
        lhs, _, rhs = self.equation.replace(" ", "").partition("->")
        terms = lhs.split(",")
        if len(terms) != len(xs):
            raise ValueError(f"equation {self.equation!r} names {len(terms)} inputs, got {len(xs)}")
        sizes: dict[str, object] = {}
        ellipsis = PartialShape(())
        for term, x in zip(terms, xs):
            dims = list(x.shape)
            if "..." in term:
                head, tail = term.split("...")
                n_ell = len(dims) - len(head) - len(tail)
                ellipsis = broadcast_shapes(ellipsis, PartialShape(dims[len(head):len(head) + n_ell]))
                letters = list(head) + list(tail)
                dims = dims[:len(head)] + dims[len(head) + n_ell:]
            else:
                letters = list(term)
            if len(letters) != len(dims):
                raise ValueError(f"term {term!r} does not fit input of rank {x.rank}")
            for c, d in zip(letters, dims):
                prev = sizes.get(c)
                if prev is None or prev == 1:
                    sizes[c] = d
                elif d != 1:
                    sizes[c] = dim_merge(prev, d)  # type: ignore[arg-type]
        if "->" not in self.equation:
            rhs = ("..." if "..." in lhs else "") + "".join(sorted(c for c in set(lhs) if c.isalpha()
                                                                    and lhs.count(c) == 1))
        out = []
        if "..." in rhs:
            head, tail = rhs.split("...")
            out = [sizes.get(c, DYNAMIC) for c in head] + list(ellipsis) + [sizes.get(c, DYNAMIC) for c in tail]
        else:
            out = [sizes.get(c, DYNAMIC) for c in rhs]
        return [TensorInfo(et, PartialShape(out))]

    def evaluate(self, *xs: np.ndarray) -> list[np.ndarray]:
        return [np.einsum(self.equation, *xs).astype(xs[0].dtype, copy=False)]


OPS: tuple[type[Op], ...] = (MatMul, Einsum)
__all__ = [c.__name__ for c in OPS]
