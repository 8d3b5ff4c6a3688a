"""ResNet stride optimization: the stride of 1x1 stride-2 convolutions moves up to the convolution that feeds
the block (and a kernel-1 MaxPool aligns an identity shortcut), off with --disable_resnet_optimization."""
from __future__ import annotations

from onnx_builder import OnnxBuilder, check_pass_alone, convert_and_check, op_types

from irforge.transforms.optimize_strides import optimize_strides


def caffe_resnet_block():
    """stem 3x3 conv -> ReLU -> [1x1 conv stride 2 -> ReLU -> 3x3 conv] + [1x1 conv stride 2] -> Add -> ReLU."""
    b = OnnxBuilder()
    x = b.input("x", [1, 3, 9, 9])
    stem = b.node("Relu", [b.node("Conv", [x, b.random(4, 3, 3, 3), b.random(4)], pads=[1, 1, 1, 1])])
    a = b.node("Relu", [b.node("Conv", [stem, b.random(4, 4, 1, 1)], strides=[2, 2])])
    a = b.node("Conv", [a, b.random(8, 4, 3, 3)], pads=[1, 1, 1, 1])
    short = b.node("Conv", [stem, b.random(8, 4, 1, 1), b.random(8)], strides=[2, 2])
    return b.model([b.node("Relu", [b.node("Add", [a, short])])])


def strides_of(graph):
    return sorted((n.op.strides, n.inputs[1].shape.to_static()[-1]) for n in graph.nodes
                  if n.op.TYPE == "Convolution")


def test_stride_moves_to_the_block_input(tmp_path):
    graph = convert_and_check(caffe_resnet_block(), tmp_path)
    # the stem 3x3 now computes at stride 2; both 1x1 convolutions at stride 1
    assert strides_of(graph) == [((1, 1), 1), ((1, 1), 1), ((1, 1), 3), ((2, 2), 3)]
    assert "MaxPool" not in op_types(graph)


def test_disabled_keeps_strides(tmp_path):
    graph = convert_and_check(caffe_resnet_block(), tmp_path, disable_resnet_optimization=True)
    assert strides_of(graph) == [((1, 1), 3), ((1, 1), 3), ((2, 2), 1), ((2, 2), 1)]


def test_identity_shortcut_gets_a_pooling(tmp_path):
    """Block input feeds a stride-1 1x1 conv and the Add: the request through the Add cannot reach the input,
    so a kernel-1 stride-2 MaxPool serves it on the shortcut, and the previous conv takes the stride."""
    b = OnnxBuilder()
    x = b.input("x", [1, 4, 8, 8])
    block_in = b.node("Relu", [x])
    branch = b.node("Conv", [b.node("Relu", [b.node("Conv", [block_in, b.random(4, 4, 1, 1)])]),
                             b.random(4, 4, 3, 3)], pads=[1, 1, 1, 1])
    out = b.node("Relu", [b.node("Add", [branch, block_in])])
    down = b.node("Conv", [out, b.random(6, 4, 1, 1)], strides=[2, 2])
    down2 = b.node("Conv", [out, b.random(2, 4, 1, 1)], strides=[2, 2])
    graph, counts = check_pass_alone(b.model([down, down2]), tmp_path, [optimize_strides])
    assert counts[0] > 0
    assert op_types(graph)["MaxPool"] == 1
    assert sorted(n.op.strides for n in graph.nodes if n.op.TYPE == "Convolution") == \
        [(1, 1), (1, 1), (1, 1), (2, 2)]


def test_torchvision_style_block_is_left_alone(tmp_path):
    """ResNet v1.5: the block input also feeds a stride-1 1x1 conv, so the request is refused: no change."""
    b = OnnxBuilder()
    x = b.input("x", [1, 4, 8, 8])
    r = b.node("Relu", [x])
    a = b.node("Conv", [b.node("Conv", [r, b.random(4, 4, 1, 1)]), b.random(4, 4, 3, 3)], pads=[1, 1, 1, 1],
               strides=[2, 2])
    short = b.node("Conv", [r, b.random(4, 4, 1, 1)], strides=[2, 2])
    graph, counts = check_pass_alone(b.model([b.node("Add", [a, short])]), tmp_path, [optimize_strides])
    assert counts == [0]
