"""The order of the optimization passes, as asserts: each constraint says why (see pipeline.py), so a reordering
that breaks one fails here instead of silently making worse IRs. The option switches are checked too."""
from __future__ import annotations

from irforge.options import ConversionOptions
from irforge.transforms.pipeline import conversion_passes, pass_name

REWRITING = ("merge_duplicates", "fuse_activations", "fuse_normalizations", "fuse_shuffle_channels",
             "fuse_split_concat_upsample", "simplify_reshapes", "fuse_pad",
             "simplify_pooling", "fuse_linear_ops", "fuse_grouped_convolutions", "optimize_strides")


def names(**options) -> list[str]:
    return [pass_name(p) for p in conversion_passes(ConversionOptions.build("model.onnx", **options))]


def first(order: list[str], name: str) -> int:
    return order.index(name)


def last(order: list[str], name: str) -> int:
    return len(order) - 1 - order[::-1].index(name)


def test_constants_are_folded_before_any_fusion():
    order = names()
    for p in REWRITING:
        assert first(order, "fold_constants") < first(order, p), p


def test_duplicates_merge_before_patterns():
    """x * sigmoid(x) only matches when both uses read one x (exporters duplicate nodes)."""
    order = names()
    for p in ("fuse_activations", "fuse_normalizations", "fuse_shuffle_channels"):
        assert first(order, "merge_duplicates") < first(order, p)


def test_shuffles_fuse_before_reshape_chains_merge():
    """Merging Reshape chains first could swallow the Reshapes around a channel shuffle's Transpose."""
    order = names()
    assert last(order, "fuse_shuffle_channels") < first(order, "simplify_reshapes")


def test_upsampling_before_grouped_convolutions():
    """A Split feeding a Concat is the upsampling pattern; grouped convolution fusing takes Splits too."""
    order = names()
    assert last(order, "fuse_split_concat_upsample") < first(order, "fuse_grouped_convolutions")


def test_patterns_before_linear_fusing():
    """Linear fusing would fold GELU's * 0.5, HSwish's / 6 or MVN's eps into neighbours and hide the patterns."""
    order = names()
    for p in ("fuse_activations", "fuse_normalizations"):
        assert last(order, p) < first(order, "fuse_linear_ops")


def test_grouped_convolutions_between_two_linear_fusings():
    """Per-branch BatchNorms fold into their convolutions before grouping (Conv -> Add branches group), and a
    BatchNorm after the Concat folds into the GroupConvolution after it."""
    order = names()
    assert first(order, "fuse_linear_ops") < first(order, "fuse_grouped_convolutions") < last(order, "fuse_linear_ops")


def test_pooling_rounding_simplified_before_pad_fusion():
    """fuse_pad folds a Pad only into floor-rounded AvgPools; simplify_pooling turns ceil ones whose windows
    floor already gives into floor ones first, so they can take their Pad too."""
    order = names()
    assert last(order, "simplify_pooling") < first(order, "fuse_pad")


def test_stride_optimization_after_pad_and_linear_fusing():
    """1x1 convolutions need their (fused) zero pads, and BatchNorms gone, for the stride to travel."""
    order = names()
    assert last(order, "fuse_pad") < first(order, "optimize_strides")
    assert last(order, "fuse_linear_ops") < first(order, "optimize_strides")


def test_dead_nodes_go_after_every_rewrite():
    """Fusions decide by use counts; nodes replaced by one pass must be gone before the next fusion looks."""
    dirty = None
    for name in names():
        if name in REWRITING:
            assert dirty is None, f"{name} runs after {dirty} without remove_dead_nodes between them"
            dirty = name
        elif name == "remove_dead_nodes":
            dirty = None
    assert dirty is None


def test_optimizations_end_clean():
    """Fusing leaves new constants to fold and merge, and identities and dead nodes to drop."""
    order = names()
    i = last(order, "optimize_strides")
    assert order[i + 1:i + 6] == ["remove_dead_nodes", "fold_constants", "merge_duplicates", "eliminate_identities",
                                  "remove_dead_nodes"]


def test_switches():
    assert "fuse_linear_ops" not in names(disable_fusing=True)
    assert "fuse_grouped_convolutions" in names(disable_fusing=True)
    assert "fuse_grouped_convolutions" not in names(disable_gfusing=True)
    assert names(disable_gfusing=True).count("fuse_linear_ops") == 1
    assert "optimize_strides" not in names(disable_resnet_optimization=True)
    assert not {"simplify_reshapes", "simplify_pooling"} & set(names(keep_shape_ops=True))   # shape-specific
    everything_off = names(disable_fusing=True, disable_gfusing=True, disable_resnet_optimization=True)
    assert not {"fuse_linear_ops", "fuse_grouped_convolutions", "optimize_strides"} & set(everything_off)
