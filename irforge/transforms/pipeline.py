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
from .fuse_activations import fuse_activations
from .fuse_grouped_convolutions import fuse_grouped_convolutions
from .fuse_linear_ops import fuse_linear_ops
from .fuse_normalizations import fuse_normalizations
from .fuse_pad import fuse_pad
from .fuse_shuffle_channels import fuse_shuffle_channels
from .fuse_split_concat_upsample import fuse_split_concat_upsample
from .make_stateful import make_stateful, parse_transforms, state_pairs
from .merge_duplicates import merge_duplicates
from .optimize_strides import optimize_strides
from .quantized_weights_layout import quantized_weights_layout
from .remove_dead_nodes import remove_dead_nodes
from .simplify_pooling import simplify_pooling
from .simplify_reshapes import simplify_reshapes
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
# entry when the pass that honours the flag lands.
NOT_IMPLEMENTED = {
    "transformations_config": "sub-graph replacement configurations are not read",
}


def check_options(options: ConversionOptions) -> None:
    """Reject the flags whose feature is missing (called before the model is read)."""
    for flag, message in NOT_IMPLEMENTED.items():
        if getattr(options, flag):
            raise OptionError(f"--{flag}", getattr(options, flag), f"no --{flag} (drop the flag)",
                              reason=f"not implemented yet: {message}")
    if options.transform:
        state_pairs(parse_transforms(options.transform))   # a malformed --transform fails before the model is read


def conversion_passes(options: ConversionOptions) -> tuple[Pass, ...]:
    """The pipeline for these options."""
    check_options(options)
    fold = partial(fold_constants, keep_shape_ops=options.keep_shape_ops)
    passes: tuple[Pass, ...] = (
        partial(cut_graph, options=options),           # first: --input / --output name points of the graph as
                                                       # translated, before anything renames or folds them
        partial(apply_input_params, options=options),  # layouts and mean/scale on the final inputs (after the cut)
    )
    pairs = state_pairs(parse_transforms(options.transform)) if options.transform else {}
    if pairs:
        passes += (partial(make_stateful, pairs=pairs),)   # after the cut and the preprocessing, which name and
                                                           # edit the model's own inputs and outputs
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
    passes += optimization_passes(options)
    if not options.disable_weights_compression:
        passes += (compress_quantized_weights,   # after folding and fusing, which see the f32 weights under their
                   remove_dead_nodes)            # FakeQuantize; the integer chains it leaves are never re-folded
    if options.fp16:
        passes += (compress_to_fp16,)  # last: every other pass must see f32 Constants, not Convert(f16) chains
    return passes


def optimization_passes(options: ConversionOptions) -> tuple[Pass, ...]:
    """The model optimizations (the legacy tool's fusing, grouped convolution fusing and ResNet stride
    optimization, plus the pattern replacements it made). They expect folded constants, and run after every
    edit of the graph's inputs (cuts, preprocessing), so that embedded mean/scale ops fuse too."""
    fold = partial(fold_constants, keep_shape_ops=options.keep_shape_ops)
    finegrain = tuple(options.finegrain_fusing)
    linear = partial(fuse_linear_ops, finegrain=finegrain)
    passes: list[Pass] = [
        merge_duplicates,       # one node per distinct value: patterns below see x * sigmoid(x) with one x
        fuse_activations,       # before linear fusing, which would swallow their constants (GELU's * 0.5)
        fuse_normalizations,    # likewise (MVN's eps, LayerNorm's shape); after merge_duplicates (one mean)
        fuse_shuffle_channels,  # Reshape -> Transpose -> Reshape channel shuffles (ShuffleNet) into one op
        fuse_split_concat_upsample,   # Split + Concat repeating slices: nearest upsampling (one Interpolate)
    ]
    if not options.keep_shape_ops:
        # Both bake the current static shapes into the IR (a Reshape target, a rounding that is only equal for
        # this input size), which --keep_shape_ops asks not to do.
        passes.append(simplify_reshapes)  # after the shuffles (their Transpose is a real one)
        passes.append(simplify_pooling)   # ceil -> floor rounding where equal; before fuse_pad (floor AvgPools)
    passes.append(fuse_pad)     # Pad -> Conv / AvgPool: 1x1 convolutions get their zero pads for optimize_strides
    if not options.disable_fusing:
        # BatchNorm / Mul / Add chains into the preceding Convolution / MatMul weights: per-branch BatchNorms
        # fold into their convolutions first, so grouped convolution fusing sees Conv -> Add(bias) branches
        passes.append(linear)
    if not options.disable_gfusing:
        passes.append(partial(fuse_grouped_convolutions, finegrain=finegrain))
        if not options.disable_fusing:
            passes.append(linear)   # a BatchNorm after the Concat now folds into the one GroupConvolution
    if not options.disable_resnet_optimization:
        passes.append(optimize_strides)   # after fusing: Conv -> Add(bias) -> ReLU chains carry the stride up
    # Each pass leaves the nodes it replaced behind; the next one must not see them as users (use counts
    # decide whether a fusion is safe), so dead nodes go after every pass.
    tidy: tuple[Pass, ...] = tuple(q for p in passes for q in (p, remove_dead_nodes))
    return tidy + (fold, merge_duplicates) + CLEANUP   # fusing leaves new constants and dead chains


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
