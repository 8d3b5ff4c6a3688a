"""Small ONNX models with random weights for the option tests (tests/cli, tests/transforms), and the helpers that
run `mo` in-process and apply a cut by hand with onnx's own extractor (an oracle independent of irforge).

Image-like inputs have 3 channels with different weights per channel, so a channel order mistake changes the
answer."""
from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F = TensorProto.FLOAT
I64 = TensorProto.INT64


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _init(name: str, array: np.ndarray) -> TensorProto:
    return numpy_helper.from_array(np.asarray(array), name)


def _model(nodes, inputs, outputs, inits=(), opset: int = 13) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "tiny", inputs, outputs, list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    # Declare the outputs' shapes (onnx.utils.extract_model, used as the cutting oracle, checks the model).
    return onnx.shape_inference.infer_shapes(model, strict_mode=True)


def conv_relu(shape=(1, 3, 8, 8), seed: int = 0) -> onnx.ModelProto:
    """x [N,3,H,W] -> Conv 'conv' (4 filters 3x3, pad 1, bias) -> Relu 'relu' -> y. `shape` may hold strings
    (dynamic dims)."""
    r = _rng(seed)
    nodes = [helper.make_node("Conv", ["x", "W", "B"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["y"], name="relu")]
    return _model(nodes, [helper.make_tensor_value_info("x", F, list(shape))],
                  [helper.make_tensor_value_info("y", F, None)],
                  [_init("W", r.standard_normal((4, 3, 3, 3)).astype(np.float32)),
                   _init("B", r.standard_normal(4).astype(np.float32))])


def channels_last(shape=(1, 8, 8, 3), seed: int = 1) -> onnx.ModelProto:
    """x [N,H,W,3] (NHWC, as TensorFlow exports) -> Transpose to NCHW -> Conv -> y."""
    r = _rng(seed)
    nodes = [helper.make_node("Transpose", ["x"], ["xt"], name="to_nchw", perm=[0, 3, 1, 2]),
             helper.make_node("Conv", ["xt", "W"], ["y"], name="conv", pads=[1, 1, 1, 1])]
    return _model(nodes, [helper.make_tensor_value_info("x", F, list(shape))],
                  [helper.make_tensor_value_info("y", F, None)],
                  [_init("W", r.standard_normal((2, 3, 3, 3)).astype(np.float32))])


def two_images(seed: int = 2) -> onnx.ModelProto:
    """a, b [1,3,4,4] -> Conv each ('conv_a', 'conv_b') -> Add 'sum' -> y."""
    r = _rng(seed)
    nodes = [helper.make_node("Conv", ["a", "Wa"], ["ca"], name="conv_a"),
             helper.make_node("Conv", ["b", "Wb"], ["cb"], name="conv_b"),
             helper.make_node("Add", ["ca", "cb"], ["y"], name="sum")]
    return _model(nodes, [helper.make_tensor_value_info(n, F, [1, 3, 4, 4]) for n in ("a", "b")],
                  [helper.make_tensor_value_info("y", F, None)],
                  [_init("Wa", r.standard_normal((2, 3, 1, 1)).astype(np.float32)),
                   _init("Wb", r.standard_normal((2, 3, 1, 1)).astype(np.float32))])


def chain(seed: int = 3) -> onnx.ModelProto:
    """A model to cut:
        x [1,3,8,8] -> conv1 -> t1 -> Relu 'relu1' -> t2 -> conv2 -> t3 -> Sigmoid 'sig' -> y
                                t1 -> Tanh 'tanh' -> t4 ;  Add 'add'(t2, t4) -> t5 -> ReduceMean 'pool' -> z
    Outputs y and z. 'add' reads two computed tensors; 'split' gives two outputs of t5 for port tests:
        t5 -> Split 'split' (axis 1) -> s0, s1 ;  Mul 'mul'(s0, s1) -> w (a third output)."""
    r = _rng(seed)
    nodes = [
        helper.make_node("Conv", ["x", "W1", "B1"], ["t1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["t1"], ["t2"], name="relu1"),
        helper.make_node("Conv", ["t2", "W2"], ["t3"], name="conv2"),
        helper.make_node("Sigmoid", ["t3"], ["y"], name="sig"),
        helper.make_node("Tanh", ["t1"], ["t4"], name="tanh"),
        helper.make_node("Add", ["t2", "t4"], ["t5"], name="add"),
        helper.make_node("ReduceMean", ["t5"], ["z"], name="pool", axes=[2, 3], keepdims=0),
        helper.make_node("Split", ["t5", "halves"], ["s0", "s1"], name="split", axis=1),
        helper.make_node("Mul", ["s0", "s1"], ["w"], name="mul"),
    ]
    return _model(nodes, [helper.make_tensor_value_info("x", F, [1, 3, 8, 8])],
                  [helper.make_tensor_value_info(n, F, None) for n in ("y", "z", "w")],
                  [_init("W1", r.standard_normal((4, 3, 3, 3)).astype(np.float32)),
                   _init("B1", r.standard_normal(4).astype(np.float32)),
                   _init("W2", r.standard_normal((2, 4, 1, 1)).astype(np.float32)),
                   _init("halves", np.array([2, 2], np.int64))])


def flatten_by_shape(seed: int = 4) -> onnx.ModelProto:
    """x [N,3,4,4] -> Reshape(x, Concat(Shape(x)[0:1], [-1])) -> Mul W [48] -> y: the batch flows through a
    shape computation (Shape -> Gather -> Unsqueeze -> Concat). (Not a MatMul: OpenVINO's smart reshape would
    repair a folded Reshape target in front of one.)"""
    r = _rng(seed)
    nodes = [
        helper.make_node("Shape", ["x"], ["shape"], name="shape"),
        helper.make_node("Gather", ["shape", "zero"], ["n"], name="take_n", axis=0),
        helper.make_node("Unsqueeze", ["n", "axes0"], ["n1"], name="n_as_list"),
        helper.make_node("Concat", ["n1", "minus_one"], ["target"], name="target", axis=0),
        helper.make_node("Reshape", ["x", "target"], ["flat"], name="flatten"),
        helper.make_node("Mul", ["flat", "W"], ["y"], name="weigh"),
    ]
    return _model(nodes, [helper.make_tensor_value_info("x", F, ["N", 3, 4, 4])],
                  [helper.make_tensor_value_info("y", F, None)],
                  [_init("zero", np.array(0, np.int64)), _init("axes0", np.array([0], np.int64)),
                   _init("minus_one", np.array([-1], np.int64)),
                   _init("W", r.standard_normal(48).astype(np.float32))])


def reshape_to_input() -> onnx.ModelProto:
    """x [300] f32, shape [2] i64 -> Reshape -> Relu -> y (the target shape is a model input, to freeze)."""
    nodes = [helper.make_node("Reshape", ["x", "shape"], ["r"], name="reshape"),
             helper.make_node("Relu", ["r"], ["y"], name="relu")]
    return _model(nodes, [helper.make_tensor_value_info("x", F, [300]),
                          helper.make_tensor_value_info("shape", I64, [2])],
                  [helper.make_tensor_value_info("y", F, None)])


def gather_rows() -> onnx.ModelProto:
    """data [2,5] f32, idx [3] i64 -> Gather axis 1 -> y."""
    nodes = [helper.make_node("Gather", ["data", "idx"], ["y"], name="gather", axis=1)]
    return _model(nodes, [helper.make_tensor_value_info("data", F, [2, 5]),
                          helper.make_tensor_value_info("idx", I64, [3])],
                  [helper.make_tensor_value_info("y", F, None)])


def dense(weights: np.ndarray, shape=(2, 4)) -> onnx.ModelProto:
    """x -> MatMul(weights) -> Add(bias 0.5) -> y, for precision tests with chosen weight values."""
    nodes = [helper.make_node("MatMul", ["x", "W"], ["m"], name="matmul"),
             helper.make_node("Add", ["m", "bias"], ["y"], name="bias_add")]
    return _model(nodes, [helper.make_tensor_value_info("x", F, list(shape))],
                  [helper.make_tensor_value_info("y", F, None)],
                  [_init("W", weights.astype(np.float32)),
                   _init("bias", np.full(weights.shape[1], 0.5, np.float32))])


def rounded(model: onnx.ModelProto) -> onnx.ModelProto:
    """The model with its f32 initializers rounded to f16 and back: what a compressed IR must compute."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    for t in out.graph.initializer:
        if t.data_type == onnx.TensorProto.FLOAT:
            t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t).astype(np.float16).astype(np.float32), t.name))
    return out


# -- helpers ----------------------------------------------------------------------------------------------------------
def save(model: onnx.ModelProto, tmp_path: Path, name: str = "model") -> Path:
    path = tmp_path / f"{name}.onnx"
    onnx.save(model, str(path))
    return path


def extract(model_path: Path, inputs: list[str], outputs: list[str], tmp_path: Path, any_shape: bool = False
            ) -> Path:
    """The sub-model between these tensors, cut by onnx.utils (independent of irforge). any_shape: its inputs
    take any shape (for cuts that give the new inputs other shapes)."""
    out = tmp_path / f"cut_{len(list(tmp_path.glob('cut_*.onnx')))}.onnx"
    onnx.utils.extract_model(str(model_path), str(out), inputs, outputs)
    if any_shape:
        sub = onnx.load(str(out))
        for vi in sub.graph.input:
            for k, d in enumerate(vi.type.tensor_type.shape.dim):
                d.dim_param = f"{vi.name}_{k}"
        for vi in sub.graph.output:
            vi.type.tensor_type.ClearField("shape")
        del sub.graph.value_info[:]
        onnx.save(sub, str(out))
    return out


@dataclass
class MoRun:
    code: int
    out: str
    err: str
    xml: Path
    folder: Path

    def files(self) -> list[str]:
        return sorted(p.name for p in self.folder.iterdir()) if self.folder.exists() else []


def mo(model: Path | None, out_dir: Path, *args: str, name: str = "ir") -> MoRun:
    """Run the `mo` command in-process: returns its exit code, stdout, stderr and the IR path."""
    from irforge.cli.main import mo_main
    argv = (["--input_model", str(model)] if model is not None else []) + \
        ["--output_dir", str(out_dir), "--model_name", name, *args]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = mo_main(argv)
        except SystemExit as e:  # argparse errors
            code = int(e.code or 0)
    return MoRun(code, out.getvalue(), err.getvalue(), out_dir / f"{name}.xml", out_dir)


def ir_files(folder: Path) -> list[str]:
    """Whatever a failed conversion must not leave behind."""
    if not folder.exists():
        return []
    return sorted(p.name for p in folder.iterdir() if p.suffix in (".xml", ".bin", ".tmp")
                  or p.name.endswith((".xml.tmp", ".bin.tmp")))


def check_ir(xml: Path, feeds, expected, rtol: float = 1e-4, atol: float = 1e-5) -> None:
    """The IR in the real OpenVINO runtime and in the reference runtime must give `expected`."""
    from oracles import assert_close, run_openvino, run_reference
    expected = list(expected)
    for runtime, got in (("OpenVINO", run_openvino(xml, feeds)), ("reference", run_reference(xml, feeds))):
        assert len(got) == len(expected), f"{runtime}: {len(got)} outputs, expected {len(expected)}"
        for i, (g, e) in enumerate(zip(got, expected)):
            assert_close(g, e, rtol, atol, f"{runtime} output {i}")
