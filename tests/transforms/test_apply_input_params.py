"""The apply_input_params pass: where the channels are, the order of the inserted steps, and the Parameter a
target layout gives; the graph stays consistent."""
import pytest

from irforge import ops
from irforge.core.layout import Layout
from irforge.core.shape import DYNAMIC, PartialShape
from irforge.core.validate import validate
from irforge.errors import OptionError
from irforge.frontends import registry
from irforge.options import ConversionOptions
from irforge.transforms.apply_input_params import apply_input_params, channel_axis
from tiny_models import conv_relu, save


@pytest.mark.parametrize("shape, layout, count, axis", [
    ([1, 3, 8, 8], None, 3, 1), ([1, 8, 8, 3], None, 3, 3), ([3, 8, 8], None, 3, 0), ([8, 8, 3], None, 3, 2),
    ([1, 3, 4, 4, 4], None, 3, 1), ([2, 5], None, 5, 1), ([1, 3, 8, 3], "nhwc", 3, 3),
    ([1, DYNAMIC, 8, 8], "nchw", 3, 1), ([1, 3, 8, 3, 9], "n...c?", 3, 3),
])
def test_channel_axis(shape, layout, count, axis):
    found = channel_axis(PartialShape(shape), Layout.parse(layout) if layout else None, count, "x", "--mean_values",
                         "[...]")
    assert found == axis


@pytest.mark.parametrize("shape, layout, count, words", [
    ([1, 3, 8, 3], None, 3, "two possible channel dims"), ([1, 4, 8, 8], None, 3, "no channel dim of size 3"),
    ([1, 3, 8, 8], "nchw", 4, "3 channels"), ([2, 3, 4, 5, 6, 7], None, 3, "no channel dim"),
])
def test_channel_axis_errors(shape, layout, count, words):
    with pytest.raises(OptionError) as info:
        channel_axis(PartialShape(shape), Layout.parse(layout) if layout else None, count, "x", "--mean_values", "v")
    assert words in str(info.value)


def test_steps_in_legacy_order_and_target_layout_shape(tmp_path):
    path = save(conv_relu(), tmp_path)
    options = ConversionOptions.build(str(path), layout="nchw->nhwc", reverse_input_channels=True,
                                      mean_values="[1,2,3]", scale_values="[4,5,6]")
    graph = registry.load(options)
    assert apply_input_params(graph, options) == 4
    validate(graph, "after apply_input_params")
    (p,) = graph.parameters
    assert p.name == "x" and p.outputs[0].shape == [1, 8, 8, 3] and p.outputs[0].names == {"x"}
    assert p.outputs[0].rt_info == {"layout": {"layout": "[N,H,W,C]"}}
    chain, x = [], p.outputs[0]
    while len(x.uses) == 1 and not isinstance(x.uses[0].node.op, ops.Convolution):
        node = x.uses[0].node
        chain.append(type(node.op).__name__)
        x = node.outputs[0]
    assert chain == ["Transpose", "Gather", "Subtract", "Divide"]
    assert x.shape == [1, 3, 8, 8]
