"""Partial shapes: static dims are ints, dynamic dims are Intervals (IR "?", "1..10", "..8", "2..")."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence, Union


@dataclass(frozen=True, slots=True)
class Interval:
    """A dynamic dimension, optionally bounded: lower <= d <= upper (upper None = no bound)."""

    lower: int = 0
    upper: int | None = None

    def __str__(self) -> str:
        if self.lower == 0 and self.upper is None:
            return "?"
        return f"{self.lower if self.lower else ''}..{'' if self.upper is None else self.upper}"


Dim = Union[int, Interval]
DYNAMIC = Interval()


def is_static(d: Dim) -> bool:
    return isinstance(d, int)


def dim_bounds(d: Dim) -> tuple[int, int | None]:
    return (d, d) if isinstance(d, int) else (d.lower, d.upper)


def make_dim(lower: int, upper: int | None) -> Dim:
    """The narrowest Dim for these bounds (equal bounds give a static int)."""
    lower = max(lower, 0)
    if upper is not None and upper == lower:
        return lower
    return Interval(lower, upper)


def dim_add(a: Dim, b: Dim) -> Dim:
    if isinstance(a, int) and isinstance(b, int):
        return a + b
    (al, au), (bl, bu) = dim_bounds(a), dim_bounds(b)
    return make_dim(al + bl, None if au is None or bu is None else au + bu)


def dim_mul(a: Dim, b: Dim) -> Dim:
    if isinstance(a, int) and isinstance(b, int):
        return a * b
    if a == 0 or b == 0:
        return 0
    (al, au), (bl, bu) = dim_bounds(a), dim_bounds(b)
    return make_dim(al * bl, None if au is None or bu is None else au * bu)


def dim_merge(a: Dim, b: Dim) -> Dim:
    """Two facts about one dim (e.g. both operands of Add must agree): the intersection."""
    if isinstance(a, int):
        return a
    if isinstance(b, int):
        return b
    upper = b.upper if a.upper is None else a.upper if b.upper is None else min(a.upper, b.upper)
    return make_dim(max(a.lower, b.lower), upper)


def parse_dim(text: str) -> Dim:
    """IR / CLI dim text: "3", "?", "-1", "1..10", "..8", "2.."."""
    t = text.strip()
    if t in ("?", "-1"):
        return DYNAMIC
    if ".." in t:
        lo, hi = t.split("..", 1)
        lower = int(lo) if lo.strip() not in ("", "-1") else 0
        upper = int(hi) if hi.strip() not in ("", "-1") else None
        return make_dim(lower, upper)
    value = int(t)
    if value < -1:
        raise ValueError(f"dimension {text!r} must be >= -1")
    return value


class PartialShape:
    """A tensor shape whose rank may be unknown (dims None) and whose dims may be dynamic."""

    __slots__ = ("dims",)

    def __init__(self, dims: Iterable[Dim] | None):
        self.dims: tuple[Dim, ...] | None = None if dims is None else tuple(
            d if isinstance(d, Interval) else int(d) for d in dims)

    @staticmethod
    def unknown_rank() -> PartialShape:
        return PartialShape(None)

    @staticmethod
    def dynamic(rank: int) -> PartialShape:
        return PartialShape([DYNAMIC] * rank)

    @staticmethod
    def parse(text: str) -> PartialShape:
        """IR Parameter `shape` text: "1,3,?,1..10"; "..." is a dynamic rank; "" a scalar."""
        t = text.strip().strip("[]")
        if t == "...":
            return PartialShape(None)
        if not t:
            return PartialShape(())
        return PartialShape(parse_dim(x) for x in t.split(","))

    @property
    def rank(self) -> int | None:
        return None if self.dims is None else len(self.dims)

    @property
    def is_static(self) -> bool:
        return self.dims is not None and all(isinstance(d, int) for d in self.dims)

    def to_static(self) -> tuple[int, ...]:
        if not self.is_static:
            raise ValueError(f"shape {self} is not static")
        return self.dims  # type: ignore[return-value]

    def merge(self, other: PartialShape) -> PartialShape:
        if self.dims is None:
            return other
        if other.dims is None:
            return self
        if len(self.dims) != len(other.dims):
            raise ValueError(f"shapes {self} and {other} differ in rank")
        for a, b in zip(self.dims, other.dims):
            if isinstance(a, int) and isinstance(b, int) and a != b:
                raise ValueError(f"shapes {self} and {other} differ")
        return PartialShape(dim_merge(a, b) for a, b in zip(self.dims, other.dims))

    def compatible(self, other: PartialShape) -> bool:
        try:
            self.merge(other)
            return True
        except ValueError:
            return False

    def __getitem__(self, i: int) -> Dim:
        assert self.dims is not None, "rank is unknown"
        return self.dims[i]

    def __len__(self) -> int:
        assert self.dims is not None, "rank is unknown"
        return len(self.dims)

    def __iter__(self):
        assert self.dims is not None, "rank is unknown"
        return iter(self.dims)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (tuple, list)):
            return self.dims == tuple(other)
        return isinstance(other, PartialShape) and self.dims == other.dims

    def __hash__(self) -> int:
        return hash(self.dims)

    def __repr__(self) -> str:
        return f"PartialShape({self})"

    def __str__(self) -> str:
        """The IR Parameter spelling: no blanks, "?" for dynamic dims, "..." for a dynamic rank."""
        if self.dims is None:
            return "..."
        return ",".join(str(d) for d in self.dims)


def broadcast_shapes(*shapes: PartialShape) -> PartialShape:
    """numpy broadcasting over partial shapes; raises ValueError when static dims clash."""
    if any(s.dims is None for s in shapes):
        return PartialShape(None)
    rank = max(len(s.dims) for s in shapes)  # type: ignore[arg-type]
    out: list[Dim] = []
    for i in range(rank):
        dims = [s.dims[i - rank + len(s.dims)] for s in shapes if i - rank + len(s.dims) >= 0]  # type: ignore
        static = {d for d in dims if isinstance(d, int) and d != 1}
        if len(static) > 1:
            raise ValueError("shapes " + " and ".join(f"[{s}]" for s in shapes) + " do not broadcast")
        if static:
            out.append(static.pop())
        elif all(d == 1 for d in dims):
            out.append(1)
        else:
            dyn = [d for d in dims if isinstance(d, Interval)]
            # A dynamic dim broadcast against 1s keeps its bounds; two dynamic dims give the wider upper bound.
            uppers = [d.upper for d in dyn]
            upper = None if any(u is None for u in uppers) else max(uppers)  # type: ignore[type-var]
            out.append(make_dim(max(d.lower for d in dyn) if len(dyn) == 1 else 0, upper))
    return PartialShape(out)


def normalize_axis(axis: int, rank: int, what: str = "axis") -> int:
    if not -rank <= axis < max(rank, 1):
        raise ValueError(f"{what} {axis} is out of range for rank {rank}")
    return axis + rank if axis < 0 else axis


def window_output_size(size: Dim, kernel: int, stride: int, dilation: int, pad_begin: int, pad_end: int,
                       ceil: bool = False) -> Dim:
    """Output length of a sliding window (convolution / pooling) along one axis."""
    effective = (kernel - 1) * dilation + 1
    if isinstance(size, int):
        span = size + pad_begin + pad_end - effective
        out = -(-span // stride) + 1 if ceil else span // stride + 1
        if ceil and (out - 1) * stride >= size + pad_begin:  # the last window must start inside the input or its begin pad
            out -= 1
        return out
    lo, hi = size.lower, size.upper
    lower = max(0, window_output_size(max(lo, effective), kernel, stride, dilation, pad_begin, pad_end, ceil)) \
        if lo else 0
    upper = None if hi is None else window_output_size(hi, kernel, stride, dilation, pad_begin, pad_end, ceil)
    return make_dim(int(lower), upper if upper is None else int(upper))


def shape_of(dims: Sequence[int]) -> PartialShape:
    return PartialShape(tuple(int(d) for d in dims))
