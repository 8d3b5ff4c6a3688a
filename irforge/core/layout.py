"""Tensor layouts as the `mo` flags and OpenVINO spell them: "nchw", "[n,c,h,w]", "nc...", "?c??", "n...c".

A layout names each dim (N batch, C channels, H, W, D, or any other name); "?" leaves one dim unnamed and "..."
stands for any number of unnamed dims. OpenVINO writes a layout upper-cased in brackets: "[N,C,H,W]".
"""
from __future__ import annotations

import re
from dataclasses import dataclass

ELLIPSIS = "..."
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\?")


@dataclass(frozen=True)
class Layout:
    """One name (upper case) or "?" per dim, with at most one ELLIPSIS standing for zero or more "?" dims."""

    dims: tuple[str, ...]

    @staticmethod
    def parse(text: str) -> Layout:
        """Short form "nchw" / "nc..." / "?c??" (one letter per dim) or long form "[n,c,h,w]" / "[N,C,...]".
        Raises ValueError with the reason."""
        t = text.strip()
        if not t:
            raise ValueError("the layout is empty")
        if t.startswith("[") or t.endswith("]"):
            if not (t.startswith("[") and t.endswith("]")):
                raise ValueError(f"unbalanced brackets in {text!r}")
            items = [x.strip() for x in t[1:-1].split(",")] if t[1:-1].strip() else []
        else:
            items = []
            rest = t
            while rest:
                if rest.startswith(ELLIPSIS):
                    items.append(ELLIPSIS)
                    rest = rest[3:]
                else:
                    items.append(rest[0])
                    rest = rest[1:]
        dims = []
        for item in items:
            if item == ELLIPSIS:
                dims.append(ELLIPSIS)
            elif "*" in item:
                raise ValueError(f"merged dims such as {item!r} are not supported")
            elif _NAME.fullmatch(item):
                dims.append(item.upper())
            else:
                raise ValueError(f"{item!r} is not a dim name (letters, digits, _), '?' or '...'")
        if dims.count(ELLIPSIS) > 1:
            raise ValueError("'...' may appear only once")
        named = [d for d in dims if d not in ("?", ELLIPSIS)]
        if len(named) != len(set(named)):
            raise ValueError(f"a dim name repeats in {text!r}")
        return Layout(tuple(dims))

    @property
    def has_ellipsis(self) -> bool:
        return ELLIPSIS in self.dims

    def fits(self, rank: int) -> bool:
        fixed = len(self.dims) - (1 if self.has_ellipsis else 0)
        return fixed <= rank if self.has_ellipsis else fixed == rank

    def expand(self, rank: int) -> tuple[str, ...]:
        """One name per dim for a tensor of this rank ("..." becomes "?"s); ValueError when the rank does not fit."""
        if not self.fits(rank):
            raise ValueError(f"layout {self} does not fit a tensor of rank {rank}")
        if not self.has_ellipsis:
            return self.dims
        at = self.dims.index(ELLIPSIS)
        fill = rank - (len(self.dims) - 1)
        return self.dims[:at] + ("?",) * fill + self.dims[at + 1:]

    def index(self, name: str, rank: int) -> int | None:
        """Where dim `name` ("N", "C", ...) is in a tensor of this rank, or None if the layout does not name it."""
        dims = self.expand(rank)
        return dims.index(name.upper()) if name.upper() in dims else None

    def __str__(self) -> str:
        """The OpenVINO spelling, as written in a port's rt_info: "[N,C,H,W]"."""
        return "[" + ",".join(self.dims) + "]"


def transpose_order(source: Layout, target: Layout, rank: int) -> list[int]:
    """The Transpose order that turns a tensor in `source` layout into `target` layout: out dim i is in dim
    order[i]. Both layouts must name the same dims; ValueError otherwise."""
    src, dst = source.expand(rank), target.expand(rank)
    if "?" in src or "?" in dst:
        if src == dst:
            return list(range(rank))
        raise ValueError(f"cannot convert {source} to {target}: every dim must be named (no '?' or '...')")
    if sorted(src) != sorted(dst):
        raise ValueError(f"cannot convert {source} to {target}: they name different dims")
    return [src.index(d) for d in dst]
