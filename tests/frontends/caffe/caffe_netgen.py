"""Random weights for a deploy prototxt: the blob shapes each layer needs, found by a small shape walk written for
the tests (Caffe's own output-size rules), and values that keep activations in a sane range. OpenCV's Caffe
importer checks the blob shapes against its own computation when it loads the pair, so a wrong shape here fails
loudly instead of shaping both sides alike."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

import numpy as np

from irforge.frontends.caffe.prototxt import read_prototxt

from caffe_writer import BlobSpec, LayerSpec, write_caffemodel


def _spatial(p, name, spatial, default):
    short = name.replace("_size", "")   # kernel_size -> kernel_h / kernel_w
    if name != "dilation" and (p.has(short + "_h") or p.has(short + "_w")):
        return [int(p.get(short + "_h")), int(p.get(short + "_w"))]
    values = p.list(name)
    if not values:
        return [default] * spatial
    return [int(values[0])] * spatial if len(values) == 1 else [int(v) for v in values]


def _conv_out(size, k, s, p, d):
    return (size + 2 * p - (d * (k - 1) + 1)) // s + 1


def _pool_out(size, k, s, p, ceil):
    if ceil:
        out = -(-(size + 2 * p - k) // s) + 1
        if p and (out - 1) * s >= size + p:
            out -= 1
        return out
    return (size + 2 * p - k) // s + 1


def layer_blob_shapes(proto_path: str, input_shapes: dict[str, Sequence[int]]) -> dict[str, list[tuple]]:
    """{layer name: [blob shape, ...]} for the layers that carry weights."""
    net = read_prototxt(proto_path)
    layers = net.list("layer") or net.list("layers")
    shapes: dict[str, tuple | None] = {k: tuple(v) for k, v in input_shapes.items()}
    blobs: dict[str, list[tuple]] = {}
    for layer in layers:
        t = layer.get("type")
        ins = [shapes.get(b) for b in layer.list("bottom")]
        x = ins[0] if ins else None
        out: tuple | None = x
        name = layer.get("name")
        if t == "Input":
            for top in layer.list("top"):
                shapes.setdefault(top, None)
            continue
        if t in ("Convolution", "Deconvolution"):
            p = layer.get("convolution_param")
            sp = len(x) - 2
            k, s = _spatial(p, "kernel_size", sp, 0), _spatial(p, "stride", sp, 1)
            pad, d = _spatial(p, "pad", sp, 0), _spatial(p, "dilation", sp, 1)
            n, g = int(p.get("num_output")), int(p.get("group"))
            if t == "Convolution":
                blobs[name] = [(n, x[1] // g, *k)]
                out = (x[0], n, *[_conv_out(*a) for a in zip(x[2:], k, s, pad, d)])
            else:
                blobs[name] = [(x[1], n // g, *k)]
                out = (x[0], n, *[(i - 1) * s_ - 2 * p_ + d_ * (k_ - 1) + 1
                                  for i, k_, s_, p_, d_ in zip(x[2:], k, s, pad, d)])
            if p.get("bias_term"):
                blobs[name].append((n,))
        elif t == "Pooling":
            p = layer.get("pooling_param")
            if p.get("global_pooling"):
                out = (x[0], x[1], 1, 1)
            else:
                k, s, pad = _spatial(p, "kernel_size", 2, 0), _spatial(p, "stride", 2, 1), _spatial(p, "pad", 2, 0)
                ceil = p.get("round_mode") == "CEIL"
                out = (x[0], x[1], *[_pool_out(*a, ceil) for a in zip(x[2:], k, s, pad)])
        elif t == "InnerProduct":
            p = layer.get("inner_product_param")
            axis = int(p.get("axis"))
            n, kk = int(p.get("num_output")), int(np.prod(x[axis:]))
            blobs[name] = [(kk, n) if p.get("transpose") else (n, kk)] + ([(n,)] if p.get("bias_term") else [])
            out = tuple(x[:axis]) + (n,)
        elif t == "BatchNorm":
            blobs[name] = [(x[1],), (x[1],), (1,)]
        elif t == "Scale":
            if len(ins) == 1:
                blobs[name] = [(x[1],)] + ([(x[1],)] if layer.get("scale_param").get("bias_term") else [])
        elif t == "Bias" and len(ins) == 1:
            blobs[name] = [(x[1],)]
        elif t == "PReLU":
            blobs[name] = [(1,) if layer.get("prelu_param").get("channel_shared") else (x[1],)]
        elif t == "Normalize":
            blobs[name] = [(1,) if layer.get("norm_param").get("channel_shared") else (x[1],)]
        elif t == "Concat":
            p = layer.get("concat_param")
            axis = int(p.get("axis")) % len(x) if None not in ins else 0
            out = None if None in ins else tuple(sum(i[axis] for i in ins) if a == axis else d
                                                 for a, d in enumerate(x))
        elif t == "Flatten":
            p = layer.get("flatten_param")
            a, e = int(p.get("axis")) % len(x), int(p.get("end_axis")) % len(x)
            out = tuple(x[:a]) + (int(np.prod(x[a:e + 1])),) + tuple(x[e + 1:])
        elif t == "Permute":
            order = [int(o) for o in layer.get("permute_param").list("order")]
            order += [a for a in range(len(x)) if a not in order]
            out = tuple(x[o] for o in order)
        elif t == "Reshape":
            dims = [int(d) for d in layer.get("reshape_param").get("shape").list("dim")]
            dims = [x[i] if d == 0 else d for i, d in enumerate(dims)]
            if -1 in dims:
                known = int(np.prod([d for d in dims if d != -1]))
                dims[dims.index(-1)] = int(np.prod(x)) // known
            out = tuple(dims)
        elif t in ("PriorBox", "DetectionOutput"):
            out = None   # nothing with weights follows them in the nets the tests use
        for top in layer.list("top"):
            shapes[top] = out
    return blobs


def random_blobs(name_shapes: dict[str, list[tuple]], types: dict[str, str], seed: int,
                 gains: dict[str, float] | None = None) -> list[LayerSpec]:
    """He-scaled weights, small biases; BatchNorm stores running sums with a positive scale factor and
    positive variances; Scale gammas near 1. `gains` multiplies the weights of layers whose name contains a key
    (to spread an SSD's class scores, say)."""
    rng = np.random.default_rng(seed)
    specs = []
    for name, shapes in name_shapes.items():
        t = types[name]
        values = []
        if t == "BatchNorm":
            c = shapes[0][0]
            factor = np.float32(rng.uniform(0.5, 2.0))
            mean = rng.normal(0, 0.2, c).astype(np.float32)
            var = rng.uniform(0.5, 1.5, c).astype(np.float32)
            values = [mean * factor, var * factor, np.array([factor], np.float32)]
        elif t in ("Scale", "Normalize", "PReLU"):
            values = [rng.uniform(0.5, 1.2 if t != "PReLU" else 0.5, s).astype(np.float32) for s in shapes[:1]]
            values += [rng.normal(0, 0.1, s).astype(np.float32) for s in shapes[1:]]
        else:
            w = shapes[0]
            fan_in = int(np.prod(w[1:])) if t != "Deconvolution" else int(w[0] * np.prod(w[2:]))
            values = [(rng.standard_normal(w) * math.sqrt(2.0 / max(fan_in, 1))).astype(np.float32)]
            values += [rng.normal(0, 0.1, s).astype(np.float32) for s in shapes[1:]]
            gain = next((g for k, g in (gains or {}).items() if k in name), 1.0)
            values = [v * np.float32(gain) for v in values]
        specs.append(LayerSpec(name, t, blobs=[BlobSpec(v) for v in values]))
    return specs


def make_caffemodel(proto_path: str, model_path: Path, input_shapes: dict[str, Sequence[int]], seed: int = 0,
                    gains: dict[str, float] | None = None) -> Path:
    net = read_prototxt(proto_path)
    layers = net.list("layer") or net.list("layers")
    types = {layer.get("name"): layer.get("type") for layer in layers}
    specs = random_blobs(layer_blob_shapes(proto_path, input_shapes), types, seed, gains)
    tmp = model_path.with_name(model_path.name + ".tmp")
    model_path.parent.mkdir(parents=True, exist_ok=True)
    write_caffemodel(tmp, specs, name=net.get("name") or "net")
    tmp.replace(model_path)
    return model_path
