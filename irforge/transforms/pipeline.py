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
from .fuse_activations import fuse_activations
from .fuse_linear_ops import fuse_linear_ops
from .fuse_normalizations import fuse_normalizations
from .merge_duplicates import merge_duplicates
from .remove_dead_nodes import remove_dead_nodes

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
    )
    passes += CLEANUP
    passes += optimization_passes(options)
    return passes


def optimization_passes(options: ConversionOptions) -> tuple[Pass, ...]:
    """The model optimizations (the legacy tool's fusing, grouped convolution fusing and ResNet stride
    optimization, plus the pattern replacements it made). They expect folded constants, and run after every
    edit of the graph's inputs (cuts, preprocessing), so that embedded mean/scale ops fuse too."""
    fold = partial(fold_constants, keep_shape_ops=options.keep_shape_ops)
    finegrain = tuple(options.finegrain_fusing)
    passes: tuple[Pass, ...] = (
        merge_duplicates,       # one node per distinct value: patterns below see x * sigmoid(x) with one x
        fuse_activations,       # before linear fusing, which would swallow their constants (GELU's * 0.5)
        fuse_normalizations,    # likewise (MVN's eps, LayerNorm's shape); after merge_duplicates (one mean)
    )
    if not options.disable_fusing:
        # BatchNorm / Mul / Add chains into the preceding Convolution / MatMul weights; needs folded weights
        passes += (partial(fuse_linear_ops, finegrain=finegrain),)
    passes += (fold, merge_duplicates) + CLEANUP   # fusing leaves new constants and dead chains
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
