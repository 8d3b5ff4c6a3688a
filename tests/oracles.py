"""Independent oracles for the tests: the real OpenVINO runtime reading our IR, onnxruntime, and helpers that
convert a model and hold both runtimes against the oracle. Each import is optional: a test that needs an
absent oracle is skipped with the reason."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pytest

import irforge
from irforge.core.graph import Graph, Output
from irforge.core.op import Op

F32_HINT = {"INFERENCE_PRECISION_HINT": "f32"}

# ../shared beside the project root (CI has it there too); IRFORGE_SHARED points elsewhere.
SHARED = Path(os.environ.get("IRFORGE_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))


def openvino():
    return pytest.importorskip("openvino")


def onnxruntime():
    return pytest.importorskip("onnxruntime")


def run_openvino(xml: str | os.PathLike, feeds: Sequence[np.ndarray] | dict[str, np.ndarray]) -> list[np.ndarray]:
    """The real OpenVINO runtime reading our IR (f32 precision: this CPU defaults to bf16)."""
    ov = openvino()
    core = ov.Core()
    compiled = core.compile_model(core.read_model(str(xml)), "CPU", F32_HINT)
    request = compiled.create_infer_request()
    if isinstance(feeds, dict):
        for name, value in feeds.items():
            request.set_tensor(compiled.input(name), ov.Tensor(np.asarray(value, order="C")))
    else:
        for i, value in enumerate(feeds):
            request.set_tensor(compiled.input(i), ov.Tensor(np.asarray(value, order="C")))
    request.infer()
    return [request.get_tensor(o).data.copy() for o in compiled.outputs]


def openvino_output_names(xml: str | os.PathLike) -> list[str]:
    ov = openvino()
    model = ov.Core().read_model(str(xml))
    return [o.get_any_name() for o in model.outputs]


def run_reference(xml_or_graph, feeds) -> list[np.ndarray]:
    return list(irforge.compile_model(xml_or_graph)(feeds).values())


def run_onnxruntime(model, feeds: Sequence[np.ndarray]) -> list[np.ndarray]:
    ort = onnxruntime()
    data = model if isinstance(model, (str, os.PathLike)) else model.SerializeToString()
    options = ort.SessionOptions()
    options.log_severity_level = 3
    sess = ort.InferenceSession(str(data) if isinstance(data, Path) else data, options,
                                providers=["CPUExecutionProvider"])
    return sess.run(None, {i.name: f for i, f in zip(sess.get_inputs(), feeds)})


def assert_close(got: np.ndarray, expected: np.ndarray, rtol: float = 1e-4, atol: float = 1e-5,
                 what: str = "") -> None:
    """Elementwise |got - expected| <= atol + rtol * |expected| (same shape; exact for ints and bools)."""
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape, f"{what}: shape {got.shape} != expected {expected.shape}"
    if expected.dtype.kind in "biuU" or expected.dtype == object:
        np.testing.assert_array_equal(got, expected, err_msg=what)
        return
    np.testing.assert_allclose(got.astype(np.float64), expected.astype(np.float64), rtol=rtol, atol=atol,
                               err_msg=what, equal_nan=True)


def random_feeds(shapes_types: Sequence[tuple[Sequence[int], Any]], seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for shape, dtype in shapes_types:
        dtype = np.dtype(dtype)
        if dtype.kind == "f":
            out.append(rng.standard_normal(shape).astype(dtype))
        elif dtype == np.bool_:
            out.append(rng.integers(0, 2, shape).astype(bool))
        else:
            out.append(rng.integers(0, 5, shape).astype(dtype))
    return out


def check_onnx_model(model, feeds: Sequence[np.ndarray], tmp_path: Path, rtol: float = 1e-4,
                     atol: float | Sequence[float] = 1e-5, **options) -> Graph:
    """Convert an ONNX model (path or ModelProto) with irforge, save the IR, and require the OpenVINO runtime and
    the reference runtime to match onnxruntime on `feeds`. `atol` may be one value per output (outputs of very
    different magnitudes). Returns the converted graph."""
    import onnx
    if not isinstance(model, (str, os.PathLike)):
        path = tmp_path / "model.onnx"
        onnx.save(model, str(path))
        model = path
    expected = run_onnxruntime(model, feeds)
    graph = irforge.convert_model(str(model), **options)
    xml, _ = irforge.save_model(graph, tmp_path / "ir" / "model.xml")
    got_ov = run_openvino(xml, list(feeds))
    got_ref = run_reference(xml, list(feeds))
    assert len(got_ov) == len(expected), f"OpenVINO gives {len(got_ov)} outputs, onnxruntime {len(expected)}"
    atols = [atol] * len(expected) if isinstance(atol, (int, float)) else list(atol)
    for i, (ov_out, ref_out, exp, tol) in enumerate(zip(got_ov, got_ref, expected, atols)):
        assert_close(ov_out, exp, rtol, tol, f"output {i}: OpenVINO vs onnxruntime")
        assert_close(ref_out, exp, rtol, tol, f"output {i}: reference runtime vs onnxruntime")
    return graph


def single_op_graph(op: Op, inputs: Sequence[np.ndarray | tuple], constant: Sequence[bool] | None = None
                    ) -> Graph:
    """A graph of one op: each input a Parameter (array fed at run time), or a Constant where `constant` says.
    A tuple (shape, dtype) gives a Parameter of that type with a dynamic shape of that rank instead."""
    from irforge.core.element_type import ElementType
    from irforge.core.shape import PartialShape
    g = Graph("single_op")
    args: list[Output] = []
    for i, value in enumerate(inputs):
        if constant and constant[i]:
            args.append(g.constant(np.asarray(value)))
        else:
            arr = np.asarray(value)
            args.append(g.parameter(f"in{i}", ElementType.from_numpy(arr.dtype), PartialShape(arr.shape)))
    node = g.add(op, *args, name="op")
    for i, out in enumerate(node.outputs):
        out.names.add(f"out{i}")
        g.result(out)
    return g


def check_op_against_openvino(op: Op, inputs: Sequence[np.ndarray], tmp_path: Path,
                              constant: Sequence[bool] | None = None, rtol: float = 1e-5, atol: float = 1e-6,
                              outputs: Sequence[int] | None = None) -> list[np.ndarray]:
    """One op through irforge's evaluate and through the real OpenVINO runtime (same IR): the values must agree,
    and the inferred shapes must be the evaluated ones. Returns irforge's outputs."""
    g = single_op_graph(op, inputs, constant)
    feeds = [np.asarray(v) for i, v in enumerate(inputs) if not (constant and constant[i])]
    ours = run_reference(g, feeds)
    node = next(n for n in g.nodes if n.name == "op")
    for out, value in zip(node.outputs, ours):
        shape = out.shape
        if shape.rank is not None:
            assert shape.rank == value.ndim, f"inferred rank {shape} but evaluate gave {value.shape}"
            for d, v in zip(shape, value.shape):
                assert not isinstance(d, int) or d == v, f"inferred [{shape}] but evaluate gave {value.shape}"
    xml, _ = irforge.save_model(g, tmp_path / f"{op.TYPE}.xml")
    theirs = run_openvino(xml, feeds)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if outputs is not None and i not in outputs:
            continue
        assert_close(a, b, rtol, atol, f"{op.TYPE} output {i}: irforge evaluate vs OpenVINO")
    return ours


def temporary_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="irforge-test-"))


def fold_with_openvino(op: Op, inputs: Sequence[np.ndarray], tmp_path: Path) -> list[np.ndarray]:
    """OpenVINO's reference implementation of one op (its constant folding), for where the CPU plugin departs
    from the specification: the op's IR with every input a Const is read and ConstantFolding is run."""
    ov = openvino()
    from openvino._pyopenvino.passes import ConstantFolding, Manager
    g = single_op_graph(op, inputs, [True] * len(inputs))
    xml, _ = irforge.save_model(g, tmp_path / f"{op.TYPE}_folded.xml")
    model = ov.Core().read_model(str(xml))
    manager = Manager()
    manager.register_pass(ConstantFolding())
    manager.run_passes(model)
    folded = [r.input_value(0).get_node() for r in model.get_results()]
    assert all(n.get_type_name() == "Constant" for n in folded), "OpenVINO could not fold the op"
    return [np.array(n.get_data()) for n in folded]


def run_many(runtime: str, xml: Path, feeds: list[list[np.ndarray]]) -> list[list[np.ndarray]]:
    """The IR compiled once, run on every feed: the OpenVINO runtime (f32 precision) or the reference runtime."""
    if runtime == "reference":
        compiled = irforge.compile_model(str(xml))
        return [list(compiled(f).values()) for f in feeds]
    ov = openvino()
    core = ov.Core()
    compiled = core.compile_model(core.read_model(str(xml)), "CPU", F32_HINT)
    request = compiled.create_infer_request()
    results = []
    for f in feeds:
        for i, value in enumerate(f):
            request.set_tensor(compiled.input(i), ov.Tensor(np.ascontiguousarray(value)))
        request.infer()
        results.append([request.get_tensor(o).data.copy() for o in compiled.outputs])
    return results


def int8_layer_share(xml: Path) -> tuple[int, int]:
    """(convolution / dense layers the CPU plugin runs in u8 or i8, all of them)."""
    ov = openvino()
    core = ov.Core()
    compiled = core.compile_model(core.read_model(str(xml)), "CPU", F32_HINT)
    kinds = []
    for op in compiled.get_runtime_model().get_ordered_ops():
        rt = op.get_rt_info()
        if rt["layerType"].astype(str) in ("Convolution", "FullyConnected", "MatMul", "GroupConvolution"):
            kinds.append(rt["runtimePrecision"].astype(str) in ("u8", "i8"))
    return sum(kinds), len(kinds)


# INT8 models against their FP32 model, at task level: quantized outputs flip at rounding edges, so the IR's error
# may be at most RATIO x the framework's own error on the same quantized model.
RATIO = 1.25
SHARE_FLOOR = 0.002   # a share of 0.2% of the elements counts as "none" (the framework's share may be exactly 0)


def task_errors(outputs: list[list[np.ndarray]], references: list[list[np.ndarray]]) -> dict[str, float]:
    """Task-level error of a runtime's outputs (one list per seed) against the FP32 model's."""
    scaled = []
    for got, want in zip(outputs, references):
        for g, w in zip(got, want):
            span = float(np.ptp(w)) or 1.0
            scaled.append(np.abs(np.asarray(g, np.float64) - w).ravel() / span)
    diff = np.concatenate(scaled)
    return {"median": float(np.median(diff)), "p99": float(np.percentile(diff, 99)),
            "share_over_1%": float(np.mean(diff > 0.01))}


def assert_no_worse(ours: dict[str, float], theirs: dict[str, float], who: str, oracle: str) -> None:
    for key, value in ours.items():
        limit = RATIO * theirs[key] + (SHARE_FLOOR if key.startswith("share") else 0.0)
        assert value <= limit, f"{who}: {key} {value:.5f} > {RATIO} x {oracle}'s {theirs[key]:.5f}\n" \
                               f"ours {ours}\n{oracle} {theirs}"
