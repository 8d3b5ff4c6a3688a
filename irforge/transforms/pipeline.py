"""Every pass irforge runs, in the order it runs them. A pass is a plain function Graph -> int (rewrites made)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import partial
from typing import Callable

from irforge.core.graph import Graph
from irforge.errors import InternalError, IrforgeError
from irforge.options import ConversionOptions

from .eliminate_identities import eliminate_identities
from .fold_constants import fold_constants
from .remove_dead_nodes import remove_dead_nodes
from .sink_transposes import sink_transposes

Pass = Callable[[Graph], int]


@dataclass
class PassReport:
    """What each pass did and how long it took (printed with --log_level DEBUG)."""

    entries: list[tuple[str, int, float]] = field(default_factory=list)

    def add(self, name: str, changes: int, seconds: float) -> None:
        self.entries.append((name, changes, seconds))


def pass_name(p: Pass) -> str:
    return p.func.__name__ if isinstance(p, partial) else getattr(p, "__name__", repr(p))


CLEANUP: tuple[Pass, ...] = (
    eliminate_identities,
    remove_dead_nodes,
)


def conversion_passes(options: ConversionOptions) -> tuple[Pass, ...]:
    """The pipeline for these options."""
    fold = partial(fold_constants, keep_shape_ops=options.keep_shape_ops)
    passes: tuple[Pass, ...] = (
        remove_dead_nodes,      # before folding: never evaluate what no output needs
        fold,                   # frontends leave Const -> Reshape/Transpose chains on weights
        sink_transposes,        # after folding (constants are Constants): cancels the NHWC<->NCHW pairs
    )
    passes += CLEANUP
    return passes


def run_passes(graph: Graph, passes: tuple[Pass, ...], report: PassReport | None = None,
               check: bool = False) -> PassReport:
    """Run the passes in order. An unexpected exception becomes an InternalError naming the pass and the passes
    before it; with check=True the graph invariants are validated after every pass."""
    report = report or PassReport()
    done: list[str] = []
    for p in passes:
        name = pass_name(p)
        start = time.perf_counter()
        try:
            changes = p(graph)
        except IrforgeError:
            raise
        except Exception as e:  # noqa: BLE001 - a bug in a pass; say where it happened
            raise InternalError(f"in pass {name} (after {done}): {type(e).__name__}: {e}") from e
        report.add(name, changes, time.perf_counter() - start)
        done.append(name)
        if check:
            from irforge.core.validate import validate
            validate(graph, f"after {name}")
    return report
