"""Every pass irforge runs, in the order it runs them. A pass is a plain function Graph -> int (rewrites made)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import partial
from typing import Callable

from irforge.core.graph import Graph
from irforge.errors import InternalError, IrforgeError, OptionError
from irforge.options import ConversionOptions

from .apply_input_params import apply_input_params, require_static_inputs
from .compress_quantized_weights import compress_quantized_weights
from .compress_to_fp16 import compress_to_fp16
from .cut_graph import cut_graph
from .eliminate_identities import eliminate_identities
from .fold_constants import fold_constants
from .quantized_weights_layout import quantized_weights_layout
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


# Flags irforge parses but has no feature for yet: option -> why. They are rejected rather than ignored. Delete an
# entry when the pass that honours the flag lands (the fusing flags: helper `transforms`' optimization passes).
NOT_IMPLEMENTED = {
    "disable_fusing": "irforge fuses no linear operations yet, so there is nothing to disable",
    "disable_gfusing": "irforge fuses no grouped convolutions yet, so there is nothing to disable",
    "disable_resnet_optimization": "irforge has no ResNet stride optimization yet, so there is nothing to disable",
    "finegrain_fusing": "irforge fuses nothing yet, so there is nothing to keep out of fusing",
    "transform": "neither LowLatency2 nor MakeStateful exists in irforge; apply them with the OpenVINO API on the "
                 "converted IR",
    "extensions": "unsupported ops are reported by name; they cannot be brought in yet",
    "transformations_config": "sub-graph replacement configurations are not read",
}


def check_options(options: ConversionOptions) -> None:
    """Reject the flags whose feature is missing (called before the model is read)."""
    for flag, message in NOT_IMPLEMENTED.items():
        if getattr(options, flag):
            raise OptionError(f"--{flag}", getattr(options, flag), f"no --{flag} (drop the flag)",
                              reason=f"not implemented yet: {message}")


def conversion_passes(options: ConversionOptions) -> tuple[Pass, ...]:
    """The pipeline for these options."""
    check_options(options)
    fold = partial(fold_constants, keep_shape_ops=options.keep_shape_ops)
    passes: tuple[Pass, ...] = (
        partial(cut_graph, options=options),           # first: --input / --output name points of the graph as
                                                       # translated, before anything renames or folds them
        partial(apply_input_params, options=options),  # layouts and mean/scale on the final inputs (after the cut)
    )
    if options.static_shape:
        passes += (partial(require_static_inputs, options=options),)  # before folding the shape computations
    passes += (
        remove_dead_nodes,      # before folding: never evaluate what no output needs
        fold,                   # frontends leave Const -> Reshape/Transpose chains on weights; keep_shape_ops
                                # keeps ShapeOf sub-graphs so the IR stays reshape-able
        quantized_weights_layout,  # after folding (weights and limits are Constants), before the transposes are
                                   # sunk: the layout ops a FakeQuantize keeps from folding move into its weights
        sink_transposes,        # after folding (constants are Constants): cancels the NHWC<->NCHW pairs
    )
    passes += CLEANUP
    if not options.disable_weights_compression:
        passes += (compress_quantized_weights,   # after folding and fusing, which see the f32 weights under their
                   remove_dead_nodes)            # FakeQuantize; the integer chains it leaves are never re-folded
    if options.fp16:
        passes += (compress_to_fp16,)  # last: every other pass must see f32 Constants, not Convert(f16) chains
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
