"""Resampling layers: Interp at sizes where it is one Interpolate (against OpenCV), FlowNet2's Resample and the
SpatialTransformer (OpenCV has neither: against numpy copies of their forward passes, loop for loop), each
through the OpenVINO runtime and the reference runtime."""
from __future__ import annotations

import math

import numpy as np
import pytest

from caffe_oracle import check_against_numpy, convert_and_run, run_opencv, write_net, assert_matches

rng = np.random.default_rng(17)


def data(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def layer(name, type_, bottoms=("data",), top=None, params=""):
    text = "".join(f' bottom: "{b}"' for b in bottoms)
    return f'layer {{ name: "{name}" type: "{type_}"{text} top: "{top or name}" {params} }}\n'


def inputs(**shapes) -> str:
    return "".join(f'input: "{k}" input_shape {{ {" ".join(f"dim: {d}" for d in v)} }}\n' for k, v in shapes.items())


def op_types(graph) -> set[str]:
    return {n.op.TYPE for n in graph.nodes}


# -- Interp -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,params", [((1, 3, 33, 47), "interp_param { zoom_factor: 4 }"),
                                          ((2, 2, 65, 40), "interp_param { height: 17 width: 120 }")])
def test_interp_is_one_interpolate(tmp_path, shape, params):
    """Interp's aligned-corner bilinear weights are Interpolate's linear_onnx / align_corners ones: no MatMul."""
    x = data(*shape)
    proto, model = write_net(tmp_path, inputs(data=shape) + layer("interp", "Interp", params=params), {})
    expected = run_opencv(proto, model, {"data": x}, ["interp"])[0]
    (ov,), (ref,), graph = convert_and_run(model, proto, {"data": x}, ["interp"], tmp_path)
    assert_matches(ov, expected, "OpenVINO vs OpenCV")
    assert_matches(ref, expected, "reference runtime vs OpenCV")
    assert "Interpolate" in op_types(graph) and "MatMul" not in op_types(graph)


# -- Resample (FlowNet2) ----------------------------------------------------------------------------------------
def flownet2_resample(x: np.ndarray, out_h: int, out_w: int, kind: str, antialias: bool) -> np.ndarray:
    """FlowNet2's ResampleLayer::Forward_gpu kernels (NearestNeighborKernel / InterpolationKernel), one output
    pixel at a time, in float32 as on the GPU."""
    f = np.float32
    n, c, h, w = x.shape
    fx, fy = f(w) / f(out_w), f(h) / f(out_h)
    out = np.zeros((n, c, out_h, out_w), np.float32)
    tri = lambda v: v + 1 if -1 <= v < 0 else (1 - v if 0 <= v <= 1 else 0)  # noqa: E731

    def cubic(v):
        v = abs(v)
        return v * v * (1.5 * v - 2.5) + 1 if v <= 1 else (v * (v * (-0.5 * v + 2.5) - 4) + 2 if v < 2 else 0)

    coeff = tri if kind == "LINEAR" else cubic
    kernel_width = 2 if kind == "LINEAR" else 4
    anti = antialias and (fx > 1 or fy > 1)
    ax, ay = f(1) / (fx if anti else f(1)), f(1) / (fy if anti else f(1))
    rx = 2 if fx < 1 else math.ceil(f(kernel_width) / ax)
    ry = 2 if fy < 1 else math.ceil(f(kernel_width) / ay)
    for yo in range(out_h):
        for xo in range(out_w):
            x_in = f(xo) * fx + fy / f(2) - f(0.5)     # (sic: the other axis' factor)
            y_in = f(yo) * fy + fx / f(2) - f(0.5)
            xr, yr = int(math.copysign(math.floor(abs(x_in) + 0.5), x_in)), \
                int(math.copysign(math.floor(abs(y_in) + 0.5), y_in))
            if kind == "NEAREST":
                out[:, :, yo, xo] = x[:, :, yr, xr]
                continue
            total, weights = np.zeros((n, c), np.float64), 0.0
            for yy in range(yr - ry, yr + ry + 1):
                for xx in range(xr - rx, xr + rx + 1):
                    if yy < 0 or xx < 0 or yy >= h or xx >= w:
                        continue
                    wgt = ax * coeff(ax * (x_in - f(xx))) * ay * coeff(ay * (y_in - f(yy)))
                    total += wgt * x[:, :, yy, xx]
                    weights += wgt
            out[:, :, yo, xo] = 0 if weights == 0 else total / weights
    return out


@pytest.mark.parametrize("shape,size,kind,antialias,path", [
    ((1, 2, 6, 8), (12, 16), "LINEAR", True, "Interpolate"),     # upsampling: half-pixel bilinear
    ((1, 2, 12, 16), (6, 8), "LINEAR", False, "Interpolate"),    # downsampling without the filter widening
    ((1, 2, 12, 16), (5, 7), "LINEAR", True, "MatMul"),          # antialiased downsampling
    ((2, 3, 7, 9), (10, 11), "CUBIC", True, "MatMul"),
    ((1, 2, 6, 8), (12, 16), "NEAREST", True, "Interpolate"),
    ((1, 2, 12, 8), (6, 4), "NEAREST", True, "Interpolate"),
    ((1, 2, 6, 8), (9, 12), "LINEAR", True, "Interpolate"),      # the same factor on both axes
    ((1, 2, 6, 8), (10, 11), "LINEAR", True, "MatMul"),          # factors differ: FlowNet2's shifted coordinates
    ((1, 2, 8, 8), (10, 11), "NEAREST", True, "Gather"),
])
def test_resample(tmp_path, shape, size, kind, antialias, path):
    x = data(*shape)
    params = f"resample_param {{ height: {size[0]} width: {size[1]} type: {kind} antialias: {str(antialias).lower()} }}"
    expected = flownet2_resample(x, *size, kind, antialias)
    proto, model = write_net(tmp_path, inputs(data=shape) + layer("rs", "Resample", params=params), {})
    (ov,), (ref,), graph = convert_and_run(model, proto, {"data": x}, ["rs"], tmp_path)
    assert_matches(ov, expected, "OpenVINO vs FlowNet2's kernel")
    assert_matches(ref, expected, "reference runtime vs FlowNet2's kernel")
    assert path in op_types(graph)


def test_resample_to_the_second_bottom(tmp_path):
    x, like = data(1, 2, 5, 7), data(1, 1, 10, 14)
    prototxt = inputs(data=x.shape, like=like.shape) + layer("rs", "Resample", bottoms=("data", "like"),
                                                             params="resample_param { type: LINEAR }")
    check_against_numpy(tmp_path, prototxt, {}, {"data": x, "like": like},
                        {"rs": flownet2_resample(x, 10, 14, "LINEAR", True)})


def test_resample_reading_outside_the_image_is_refused(tmp_path):
    from irforge.errors import ConversionError
    prototxt = inputs(data=(1, 1, 2, 8)) + layer("rs", "Resample", params="resample_param { height: 16 width: 4 "
                                                                           "type: NEAREST }")
    with pytest.raises(ConversionError, match="outside the image"):
        check_against_numpy(tmp_path, prototxt, {}, {"data": data(1, 1, 2, 8)}, {"rs": np.zeros((1, 1, 16, 4))})


# -- SpatialTransformer -------------------------------------------------------------------------------------------
def caffe_spatial_transformer(u: np.ndarray, theta: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """SpatialTransformerLayer::Forward_cpu: theta [N, 6] (full), loop for loop, in float32."""
    f = np.float32
    n, c, h, w = u.shape
    grid = np.array([[(i // out_w) * 1.0 / out_h * 2 - 1, (i % out_w) * 1.0 / out_w * 2 - 1, 1]
                     for i in range(out_h * out_w)], np.float32)
    v = np.zeros((n, c, out_h, out_w), np.float32)
    for b in range(n):
        coordinates = grid @ theta[b].reshape(2, 3).T.astype(np.float32)
        for s in range(out_h):
            for t in range(out_w):
                px, py = coordinates[out_w * s + t]
                xx, yy = (px + f(1)) / f(2) * f(h), (py + f(1)) / f(2) * f(w)
                res = np.zeros(c, np.float32)
                for m, k in ((math.floor(xx), math.floor(yy)), (math.floor(xx) + 1, math.floor(yy)),
                             (math.floor(xx), math.floor(yy) + 1), (math.floor(xx) + 1, math.floor(yy) + 1)):
                    if 0 <= m < h and 0 <= k < w:
                        weight = max(f(0), f(1) - abs(xx - f(m))) * max(f(0), f(1) - abs(yy - f(k)))
                        res += weight * u[b, :, m, k]
                v[b, :, s, t] = res
    return v


def test_spatial_transformer(tmp_path):
    """A full theta from the bottom (zoom, shear, shift: parts of the grid fall outside and read zeros)."""
    u = data(2, 3, 8, 9)
    theta = np.array([[0.8, 0.3, 0.1, -0.2, 1.1, 0.25], [1.2, 0.0, -0.3, 0.1, 0.7, 0.0]], np.float32)
    prototxt = inputs(data=u.shape, theta=theta.shape) + layer("st", "SpatialTransformer", ("data", "theta"))
    check_against_numpy(tmp_path, prototxt, {}, {"data": u, "theta": theta},
                        {"st": caffe_spatial_transformer(u, theta, 8, 9)})


def test_spatial_transformer_fixed_theta_and_output_size(tmp_path):
    """theta_1_2 and theta_2_1 fixed in st_param (no rotation), the bottom gives the other four; 5x7 output.
    The theta bottom comes out of an InnerProduct, as in a localisation net."""
    u = data(2, 2, 6, 10)
    feat = data(2, 5)
    weights, bias = data(4, 5) * 0.2, np.array([0.9, 0.1, 1.1, -0.1], np.float32)
    given = feat @ weights.T + bias
    full = np.stack([given[:, 0], np.full(2, 0.15), given[:, 1], np.full(2, -0.05), given[:, 2], given[:, 3]],
                    axis=1).astype(np.float32)
    prototxt = (inputs(data=u.shape, feat=feat.shape)
                + layer("loc", "InnerProduct", ("feat",), params="inner_product_param { num_output: 4 }")
                + layer("st", "SpatialTransformer", ("data", "loc"),
                        params="st_param { output_H: 5 output_W: 7 theta_1_2: 0.15 theta_2_1: -0.05 }"))
    check_against_numpy(tmp_path, prototxt, {"loc": [weights, bias]}, {"data": u, "feat": feat},
                        {"st": caffe_spatial_transformer(u, full, 5, 7)})


def test_spatial_transformer_checks_theta(tmp_path):
    from irforge.errors import ConversionError
    prototxt = inputs(data=(1, 1, 4, 4), theta=(1, 6)) + layer("st", "SpatialTransformer", ("data", "theta"),
                                                               params="st_param { theta_1_1: 1 }")
    with pytest.raises(ConversionError, match="must be"):
        check_against_numpy(tmp_path, prototxt, {}, {"data": data(1, 1, 4, 4), "theta": data(1, 6)},
                            {"st": np.zeros((1, 1, 4, 4))})
