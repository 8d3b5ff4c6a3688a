"""RegionYolo and ReorgYolo layers (YOLO v2 / v3 Caffe ports, the legacy Model Optimizer's layer types).
ReorgYolo with stride 2 against OpenCV's Darknet-style Reorg layer (OpenCV's Caffe importer knows it as "Reorg"
and ignores its parameters: stride 2); other strides and RegionYolo against Darknet's loops in numpy (OpenCV's
Region layer decodes boxes instead and needs parameters its Caffe importer cannot read)."""
from __future__ import annotations

import numpy as np
import pytest

import darknet
from caffe_oracle import assert_matches, check_against_numpy, convert_and_run, run_opencv, write_net

rng = np.random.default_rng(23)


def data(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def net(shape, body: str) -> str:
    return f'input: "data" input_shape {{ {" ".join(f"dim: {d}" for d in shape)} }}\n{body}'


def layer(name, type_, params="", bottom="data"):
    return f'layer {{ name: "{name}" type: "{type_}" bottom: "{bottom}" top: "{name}" {params} }}\n'


def test_reorg_yolo_against_opencv(tmp_path):
    x = data(2, 8, 6, 4)
    theirs, _ = write_net(tmp_path, net(x.shape, layer("reorg", "Reorg")), {}, name="opencv")
    expected = run_opencv(theirs, None, {"data": x}, ["reorg"])[0]
    ours, model = write_net(tmp_path, net(x.shape, layer("reorg", "ReorgYolo", "reorg_yolo_param { stride: 2 }")),
                            {})
    (ov,), (ref,), _ = convert_and_run(model, ours, {"data": x}, ["reorg"], tmp_path)
    assert_matches(ov, expected, "OpenVINO vs OpenCV", rtol=0)
    assert_matches(ref, expected, "reference runtime vs OpenCV", rtol=0)


def test_reorg_yolo_stride_3(tmp_path):
    x = data(1, 18, 6, 9)
    check_against_numpy(tmp_path, net(x.shape, layer("reorg", "ReorgYolo", "reorg_yolo_param { stride: 3 }")), {},
                        {"data": x}, {"reorg": darknet.reorg(x, 3)}, rtol=0)


@pytest.mark.parametrize("flatten,out_shape", [("", (2, 16 * 12)), ("flatten_param { axis: 2 end_axis: 3 }",
                                                                      (2, 16, 12))])
def test_region_yolo_v2(tmp_path, flatten, out_shape):
    """YOLO v2's region layer: 2 anchors x (4 coords + objectness + 3 classes), softmax over the classes; the
    output is flattened as flatten_param says (default: from axis 1 to the end)."""
    x = (data(2, 16, 3, 4) * 3).astype(np.float32)
    params = ("region_yolo_param { coords: 4 classes: 3 num: 2 anchors: 1.08 anchors: 1.19 anchors: 3.42 "
              f"anchors: 4.41 }} {flatten}")
    expected = darknet.region(x, 4, 3, 2, True).astype(np.float32).reshape(out_shape)
    check_against_numpy(tmp_path, net(x.shape, layer("region", "RegionYolo", params)), {}, {"data": x},
                        {"region": expected}, rtol=1e-5)


def test_region_yolo_v3_with_mask(tmp_path):
    """do_softmax: false (YOLO v3's yolo layer): the mask's 3 anchors, a logistic on every class, shape kept."""
    x = (data(1, 3 * 7, 4, 5) * 3).astype(np.float32)
    params = ("region_yolo_param { coords: 4 classes: 2 num: 6 do_softmax: false mask: 0 mask: 1 mask: 2 "
              + " ".join(f"anchors: {a}" for a in range(1, 13)) + " }")
    expected = darknet.region(x, 4, 2, 3, False).astype(np.float32)
    check_against_numpy(tmp_path, net(x.shape, layer("region", "RegionYolo", params)), {}, {"data": x},
                        {"region": expected}, rtol=1e-5)


def test_yolo_v2_head(tmp_path):
    """The tail of a YOLO v2 deploy net: a passthrough branch reorganised and concatenated with the deeper
    features, a 1x1 convolution, then the region layer."""
    fine, coarse = data(1, 4, 8, 8), data(1, 6, 4, 4)
    w, b = data(16, 22, 1, 1) * 0.3, data(16) * 0.1
    prototxt = ('input: "fine" input_shape { dim: 1 dim: 4 dim: 8 dim: 8 }\n'
                'input: "coarse" input_shape { dim: 1 dim: 6 dim: 4 dim: 4 }\n'
                + layer("reorg", "ReorgYolo", "reorg_yolo_param { stride: 2 }", bottom="fine")
                + 'layer { name: "cat" type: "Concat" bottom: "reorg" bottom: "coarse" top: "cat" }\n'
                + layer("conv", "Convolution", "convolution_param { num_output: 16 kernel_size: 1 }", bottom="cat")
                + layer("region", "RegionYolo", "region_yolo_param { coords: 4 classes: 3 num: 2 }", bottom="conv"))
    features = np.concatenate([darknet.reorg(fine, 2), coarse], axis=1)
    conv = np.einsum("oc,nchw->nohw", w[:, :, 0, 0], features) + b[None, :, None, None]
    expected = darknet.region(conv.astype(np.float32), 4, 3, 2, True).astype(np.float32).reshape(1, -1)
    check_against_numpy(tmp_path, prototxt, {"conv": [w, b]}, {"fine": fine, "coarse": coarse},
                        {"region": expected}, rtol=1e-4)
