"""Builds the MXNet test models with MXNet itself, with random weights, and saves MXNet's own outputs.

Runs in the oracle venv (mxnet 1.9.1, numpy<1.24, gluoncv; see tests/frontends/mxnet/oracle.py, which builds
that venv and calls this script). Never imported by irforge or by the tests themselves.

    python make_models.py OUTDIR [CASE ...]

Each case writes into OUTDIR: NAME-symbol.json + NAME-0000.params (the checkpoint, as gluon `export` or
`mx.model.save_checkpoint` write it), NAME.npz (inputs under "in:NAME", MXNet's outputs under "out:NAME") and
NAME.json (input names and shapes, output names as `sym.list_outputs()` gives them, conversion options).
A case whose NAME.json exists is skipped.
"""
from __future__ import annotations

import json
import os
import sys

# The per-op cases use MXNet's own (non-MKLDNN) kernels: MKLDNN rejects some grouped deconvolutions. The models
# keep MKLDNN: the non-MKLDNN RNN kernel rejects GRU and vanilla RNNs (it wants an LSTM's cell state).
if "--ops" in sys.argv and "--models" not in sys.argv:
    os.environ.setdefault("MXNET_MKLDNN_ENABLED", "0")

import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402
from mxnet import nd  # noqa: E402

RNG = np.random.default_rng(1234)
mx.random.seed(1234)


# -- helpers ---------------------------------------------------------------------------------------------------------
def randomize(params: dict) -> None:
    """Random weights; BatchNorm statistics and affine terms randomized too (so folding errors show)."""
    for name, p in params.items():
        shape = p.shape
        if name.endswith("running_var") or name.endswith("moving_var"):
            value = RNG.uniform(0.5, 2.0, shape)
        elif name.endswith("running_mean") or name.endswith("moving_mean"):
            value = RNG.uniform(-0.5, 0.5, shape)
        elif name.endswith("gamma"):
            value = RNG.uniform(0.5, 1.5, shape)
        elif name.endswith("beta") or name.endswith("bias"):
            value = RNG.uniform(-0.3, 0.3, shape)
        else:
            continue
        p.set_data(nd.array(value.astype(np.float32)))


def run_symbol(sym, args: dict, aux: dict, inputs: dict) -> dict:
    """MXNet's own forward pass (inference mode) from a symbol and its weights."""
    arrays = {k: nd.array(v, dtype=v.dtype) for k, v in inputs.items()}
    arrays.update(args)
    exe = sym.bind(mx.cpu(), args={k: arrays[k] for k in sym.list_arguments()},
                   aux_states={k: aux[k] for k in sym.list_auxiliary_states()}, grad_req="null")
    outs = exe.forward(is_train=False)
    return {name: o.asnumpy() for name, o in zip(sym.list_outputs(), outs)}


def save_case(out: str, name: str, sym, args: dict, aux: dict, inputs: dict, options: dict | None = None,
              write_checkpoint: bool = True) -> None:
    prefix = os.path.join(out, name)
    if write_checkpoint:
        mx.model.save_checkpoint(prefix, 0, sym, args, aux)
    expected = run_symbol(sym, args, aux, inputs)
    np.savez(prefix + ".npz", **{f"in:{k}": v for k, v in inputs.items()},
             **{f"out:{k}": v for k, v in expected.items()})
    manifest = {"inputs": {k: list(v.shape) for k, v in inputs.items()},
                "input_types": {k: str(v.dtype) for k, v in inputs.items()},
                "outputs": sym.list_outputs(), "options": options or {}}
    with open(prefix + ".json", "w") as f:
        json.dump(manifest, f, indent=1)


def init_args(sym, shapes: dict, skip=()) -> tuple[dict, dict]:
    """Random arguments and auxiliary states for a symbol, given its input shapes."""
    arg_shapes, _, aux_shapes = sym.infer_shape(**shapes)
    args, aux = {}, {}
    for name, shape in zip(sym.list_arguments(), arg_shapes):
        if name in shapes or name in skip:
            continue
        args[name] = nd.array(RNG.standard_normal(shape).astype(np.float32) * 0.5)
    for name, shape in zip(sym.list_auxiliary_states(), aux_shapes):
        low, high = (0.5, 2.0) if name.endswith("var") else (-0.5, 0.5)
        aux[name] = nd.array(RNG.uniform(low, high, shape).astype(np.float32))
    return args, aux


# -- the gluon model zoo ---------------------------------------------------------------------------------------------
ZOO = {  # name: input size (the smallest the net takes: fixed-size average pools need 224 / 299)
    "resnet18_v1": 64, "resnet18_v2": 64, "mobilenet0.25": 64, "mobilenetv2_0.25": 64, "squeezenet1.1": 224,
    "vgg11_bn": 32, "densenet121": 224, "inceptionv3": 299, "alexnet": 64,
}


def zoo_case(out: str, name: str) -> None:
    from mxnet.gluon.model_zoo import vision
    size = ZOO[name]
    net = vision.get_model(name)
    net.initialize(mx.init.Xavier(magnitude=2.0))
    x = RNG.standard_normal((1, 3, size, size)).astype(np.float32)
    net(nd.array(x))
    randomize(net.collect_params())
    net.hybridize()
    net(nd.array(x))
    prefix = os.path.join(out, name)
    net.export(prefix)
    sym, args, aux = mx.model.load_checkpoint(prefix, 0)
    save_case(out, name, sym, args, aux, {"data": x}, {"input_shape": f"[1,3,{size},{size}]"},
              write_checkpoint=False)


# -- symbolic nets -----------------------------------------------------------------------------------------------------
def reshape_case(out: str) -> None:
    data = mx.sym.var("data")
    targets = {
        "r_copy_infer": dict(shape=(0, -1)),            # 0 copies, -1 infers
        "r_copy_rest": dict(shape=(-2,)),               # -2 copies every remaining dim
        "r_merge": dict(shape=(0, -3, -2)),             # -3 merges two dims
        "r_split": dict(shape=(-4, 1, 2, -2)),          # -4 splits one dim in two
        "r_split_infer": dict(shape=(-4, -1, 2, 0, -2)),
        "r_reverse": dict(shape=(-1, 0), reverse=True),  # matched from the right
        "r_merge_last": dict(shape=(0, 0, -3)),
        "r_merge_infer": dict(shape=(-3, -1)),
        "r_middle_rest": dict(shape=(0, -2)),
    }
    heads = [mx.sym.Reshape(data, name=name, **kw) for name, kw in targets.items()]
    heads.append(mx.sym.reshape(mx.sym.transpose(data, axes=(0, 2, 1, 3), name="t"), shape=(0, 0, -1),
                                name="after_transpose"))
    sym = mx.sym.Group(heads)
    x = RNG.standard_normal((2, 3, 4, 5)).astype(np.float32)
    save_case(out, "reshape_special", sym, {}, {}, {"data": x}, {"input_shape": "[2,3,4,5]"})


def lstm_case(out: str) -> None:
    from mxnet.gluon import nn, rnn

    class Tagger(mx.gluon.HybridBlock):
        def __init__(self):
            super().__init__()
            with self.name_scope():
                self.embed = nn.Embedding(20, 8)
                self.lstm = rnn.LSTM(6, num_layers=2, bidirectional=True, layout="TNC")
                self.out = nn.Dense(5, flatten=False)

        def hybrid_forward(self, F, x):
            return self.out(self.lstm(self.embed(x)))

    net = Tagger()
    net.initialize(mx.init.Uniform(0.5))
    x = RNG.integers(0, 20, (5, 2)).astype(np.float32)
    net(nd.array(x))
    randomize(net.collect_params())
    net.hybridize()
    net(nd.array(x))
    prefix = os.path.join(out, "lstm_tagger")
    net.export(prefix)
    sym, args, aux = mx.model.load_checkpoint(prefix, 0)
    save_case(out, "lstm_tagger", sym, args, aux, {"data": x}, {"input_shape": "[5,2]"}, write_checkpoint=False)


def rnn_cases(out: str) -> None:
    """Fused RNN op written with the symbol API: GRU and vanilla (tanh / relu), explicit states and state outputs."""
    for name, mode, layers, bidir in [("rnn_gru", "gru", 2, False), ("rnn_tanh", "rnn_tanh", 1, True),
                                      ("rnn_relu", "rnn_relu", 1, False), ("rnn_lstm_states", "lstm", 1, False)]:
        data = mx.sym.var("data")
        params = mx.sym.var(f"{name}_parameters")
        state = mx.sym.var("state")
        dirs = 2 if bidir else 1
        kwargs = dict(state_size=4, num_layers=layers, mode=mode, bidirectional=bidir, state_outputs=True, name=name)
        inputs = {"data": RNG.standard_normal((3, 2, 5)).astype(np.float32),
                  "state": RNG.standard_normal((layers * dirs, 2, 4)).astype(np.float32)}
        if mode == "lstm":
            cell = mx.sym.var("state_cell")
            sym = mx.sym.RNN(data, params, state, cell, **kwargs)
            inputs["state_cell"] = RNG.standard_normal((layers * dirs, 2, 4)).astype(np.float32)
        else:
            sym = mx.sym.RNN(data, params, state, **kwargs)
        shapes = {k: v.shape for k, v in inputs.items()}
        args, aux = init_args(sym, shapes)
        save_case(out, name, sym, args, aux, inputs, {"input": ",".join(inputs),
                                                       "input_shape": ",".join(str(list(v.shape)).replace(" ", "")
                                                                               for v in inputs.values())})


def style_transfer_case(out: str) -> None:
    """A style-transfer generator whose weights come as PREFIX_args.nd / PREFIX_auxs.nd plus a pretrained
    checkpoint that supplies what the .nd files lack (the legacy --nd_prefix_name flow)."""
    data = mx.sym.var("data")

    def conv_bn_act(x, name, filters, stride=1):
        x = mx.sym.Convolution(x, kernel=(3, 3), pad=(1, 1), stride=(stride, stride), num_filter=filters,
                               name=f"{name}_conv")
        x = mx.sym.BatchNorm(x, fix_gamma=False, name=f"{name}_bn")
        return mx.sym.LeakyReLU(x, act_type="leaky", slope=0.2, name=f"{name}_relu")

    x = conv_bn_act(data, "enc1", 8)
    x = conv_bn_act(x, "enc2", 8, stride=2)
    r = conv_bn_act(x, "res1", 8)
    r = mx.sym.Convolution(r, kernel=(3, 3), pad=(1, 1), num_filter=8, name="res1_conv2")
    x = mx.sym.elemwise_add(x, r, name="res1_add")
    x = mx.sym.Deconvolution(x, kernel=(4, 4), stride=(2, 2), pad=(1, 1), num_filter=3, name="dec1_deconv")
    x = mx.sym.Crop(x, data, num_args=2, name="dec1_crop")
    sym = mx.sym.Activation(x, act_type="tanh", name="out_tanh")
    inputs = {"data": RNG.standard_normal((1, 3, 17, 17)).astype(np.float32)}
    args, aux = init_args(sym, {"data": inputs["data"].shape})
    prefix = os.path.join(out, "style_gen")
    sym.save(prefix + "-symbol.json")
    # The pretrained checkpoint holds the first conv (as a style-transfer net takes VGG's), plus a stale
    # enc2_conv_weight that the .nd files must override.
    pre_data = mx.sym.var("data")
    pre = mx.sym.Convolution(pre_data, kernel=(3, 3), pad=(1, 1), num_filter=8, name="enc1_conv")
    pre = mx.sym.Convolution(pre, kernel=(3, 3), pad=(1, 1), stride=(2, 2), num_filter=8, name="enc2_conv")
    pre_args = {"enc1_conv_weight": args["enc1_conv_weight"], "enc1_conv_bias": args["enc1_conv_bias"],
                "enc2_conv_weight": nd.zeros(args["enc2_conv_weight"].shape),
                "enc2_conv_bias": nd.zeros(args["enc2_conv_bias"].shape)}
    mx.model.save_checkpoint(os.path.join(out, "style_pretrained"), 0, pre, pre_args, {})
    nd_args = {k: v for k, v in args.items() if not k.startswith("enc1_conv")}
    nd.save(os.path.join(out, "style_args.nd"), nd_args)
    nd.save(os.path.join(out, "style_auxs.nd"), aux)
    save_case(out, "style_gen", sym, args, aux, inputs,
              {"input_symbol": "style_gen-symbol.json", "nd_prefix_name": "style",
               "pretrained_model_name": "style_pretrained-0000.params", "input_shape": "[1,3,17,17]"},
              write_checkpoint=False)


def ssd_case(out: str) -> None:
    """GluonCV SSD (mobilenet1.0 base, VOC classes) with random weights, exported with its post-processing
    (box_decode, per-class decoder, box_nms). The background class gets a bias so that a few hundred
    (anchor, class) pairs pass the 0.01 score threshold: then GluonCV's global top-400 and DetectionOutput's
    per-class top_k keep the same candidates, and the detections can be compared as sets."""
    from gluoncv import model_zoo
    net = model_zoo.get_model("ssd_512_mobilenet1.0_voc", pretrained=False, pretrained_base=False)
    net.initialize()  # GluonCV's own initializers (its extra layers set theirs)
    x = RNG.standard_normal((1, 3, 256, 256)).astype(np.float32)
    net(nd.array(x))
    randomize(net.collect_params())
    classes = 21
    biases = {name: p for name, p in net.class_predictors.collect_params().items() if name.endswith("bias")}
    original = {name: p.data().asnumpy().copy() for name, p in biases.items()}

    def candidates(shift: float) -> int:
        for name, p in biases.items():
            b = original[name].reshape(-1, classes).copy()
            b[:, 0] += shift
            p.set_data(nd.array(b.reshape(-1)))
        _, scores, _ = net(nd.array(x))
        return int((scores.asnumpy() > 0).sum())

    shift = 0.0
    for shift in np.arange(0.0, 30.0, 0.5):
        if candidates(shift) < 60:
            break
    net.hybridize()
    net(nd.array(x))
    prefix = os.path.join(out, "ssd_mobilenet")
    net.export(prefix)
    sym, args, aux = mx.model.load_checkpoint(prefix, 0)
    probs = run_symbol(sym.get_internals()["ssd0_softmax0_output"], args, aux, {"data": x})
    candidates = int((list(probs.values())[0][..., 1:] > 0.01).sum())
    if not 0 < candidates < 400:  # the premise of comparing with DetectionOutput (see the docstring)
        raise RuntimeError(f"{candidates} (anchor, class) candidates pass the threshold; want 1..399")
    save_case(out, "ssd_mobilenet", sym, args, aux, {"data": x},
              {"input_shape": "[1,3,256,256]", "enable_ssd_gluoncv": True}, write_checkpoint=False)


def multibox_case(out: str) -> None:
    """MultiBoxPrior anchors, softmax class probabilities and box offsets into MultiBoxDetection."""
    feat, cls, loc = mx.sym.var("feat"), mx.sym.var("cls"), mx.sym.var("loc")
    anchors = mx.sym.contrib.MultiBoxPrior(feat, sizes=(0.3, 0.6), ratios=(1, 2), name="anchors")
    probs = mx.sym.softmax(cls, axis=1, name="probs")
    sym = mx.sym.contrib.MultiBoxDetection(probs, loc, anchors, threshold=0.3, nms_threshold=0.5, name="det")
    inputs = {"feat": RNG.standard_normal((1, 2, 4, 4)).astype(np.float32),
              "cls": (RNG.standard_normal((1, 4, 48)) * 2).astype(np.float32),
              "loc": (RNG.standard_normal((1, 192)) * 0.5).astype(np.float32)}
    save_case(out, "multibox_detection", sym, {}, {}, inputs,
              {"input": "feat,cls,loc", "input_shape": "[1,2,4,4],[1,4,48],[1,192]"})


def proposal_case(out: str) -> None:
    """The RPN Proposal op: enough boxes survive NMS to fill every output row (MXNet repeats survivors
    cyclically when they are fewer; OpenVINO pads)."""
    cls, bbox, info = mx.sym.var("cls_prob"), mx.sym.var("bbox_pred"), mx.sym.var("im_info")
    sym = mx.sym.contrib.Proposal(cls, bbox, info, scales=(2, 4), ratios=(0.5, 1, 2), feature_stride=16,
                                  rpn_pre_nms_top_n=60, rpn_post_nms_top_n=8, threshold=0.7, rpn_min_size=4,
                                  output_score=True, name="proposal")
    inputs = {"cls_prob": RNG.uniform(0, 1, (1, 12, 5, 5)).astype(np.float32),
              "bbox_pred": (RNG.standard_normal((1, 24, 5, 5)) * 0.2).astype(np.float32),
              "im_info": np.array([[80, 80, 1]], np.float32)}
    save_case(out, "proposal", sym, {}, {}, inputs,
              {"input": "cls_prob,bbox_pred,im_info", "input_shape": "[1,12,5,5],[1,24,5,5],[1,3]"})


def ndarray_files(out: str) -> None:
    """NDArray containers in the layouts MXNet writes: V2 (float32/float16/int types) and V3 (np shape)."""
    arrays = {"f32": RNG.standard_normal((2, 3)).astype(np.float32),
              "f16": RNG.standard_normal((4,)).astype(np.float16),
              "f64": RNG.standard_normal((2, 2)).astype(np.float64),
              "u8": RNG.integers(0, 255, (3, 1, 2)).astype(np.uint8),
              "i32": RNG.integers(-9, 9, (5,)).astype(np.int32),
              "i8": RNG.integers(-9, 9, (2, 2)).astype(np.int8),
              "i64": RNG.integers(-9, 9, (3,)).astype(np.int64)}
    nd.save(os.path.join(out, "ndarrays_v2.params"), {k: nd.array(v, dtype=v.dtype) for k, v in arrays.items()})
    nd.save(os.path.join(out, "ndarrays_list.nd"), [nd.array(arrays["f32"])])
    with mx.util.np_shape(True):
        nd.save(os.path.join(out, "ndarrays_v3.nd"), {"scalar": nd.array(np.float32(2.5).reshape(())),
                                                      "f32": nd.array(arrays["f32"])})
    np.savez(os.path.join(out, "ndarrays.npz"), **arrays)
    with open(os.path.join(out, "ndarrays.json"), "w") as f:
        json.dump({"written": sorted(arrays)}, f)


CASES = {
    **{name: (lambda out, n=name: zoo_case(out, n)) for name in ZOO},
    "reshape_special": reshape_case,
    "lstm_tagger": lstm_case,
    "rnn_gru": rnn_cases,
    "style_gen": style_transfer_case,
    "ssd_mobilenet": ssd_case,
    "multibox_detection": multibox_case,
    "proposal": proposal_case,
    "ndarrays": ndarray_files,
}


def main(argv: list[str]) -> int:
    """make_models.py [--models | --ops] OUTDIR [CASE ...]"""
    kinds = {"--models", "--ops"}
    flags = [a for a in argv[1:] if a in kinds]
    rest = [a for a in argv[1:] if a not in kinds]
    out, wanted = rest[0], rest[1:]
    os.makedirs(out, exist_ok=True)
    if not flags or "--models" in flags:
        for name in wanted or list(CASES):
            if not os.path.exists(os.path.join(out, name + ".json")):
                print("building", name, flush=True)
                CASES[name](out)
    if not flags or "--ops" in flags:
        from op_cases import build_op_cases  # the per-op cases live beside this script
        build_op_cases(out, save_case, init_args, RNG)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
