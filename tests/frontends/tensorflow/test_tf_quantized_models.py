"""Quantization-aware-training-style TensorFlow models (tests/frontends/tensorflow/tf_int8_zoo.py: conv nets with
FakeQuantWithMinMaxVars on weights, per channel or per tensor, and on activations), as a frozen GraphDef and as a
SavedModel, converted by irforge and judged at task level, as tests/frontends/onnx/test_quantized_models.py judges
the ONNX ones.

Quantized outputs flip at rounding edges, so they are not compared element by element with TensorFlow's. Each
runtime's error against the FP32 model (the same graph without fake quantization, run by TensorFlow): median and
99th percentile of |diff| over the FP32 output's range, and the share of elements off by more than 1% of that
range, over several seeded inputs, must be at most 1.25x the error of TensorFlow running the fake-quantized model,
in the OpenVINO runtime and in the reference runtime. The compressed IR must be at most 0.35x the FP32 IR and no
larger than what openvino.convert_model writes for the same model; OpenVINO's CPU plugin must run every
convolution and dense layer in INT8; --disable_weights_compression must give the expanded IR with the same
outputs."""
from __future__ import annotations

import os
import sys
from functools import partial
from pathlib import Path

import numpy as np
import pytest

import irforge
from oracles import assert_no_worse, int8_layer_share, openvino, run_many, task_errors

sys.path.insert(0, os.path.dirname(__file__))
import tf_int8_zoo as zoo  # noqa: E402

CASES = [pytest.param(name, quant, fmt, marks=[pytest.mark.heavy] if name in zoo.HEAVY else [],
                      id=f"{name}-{quant}-{fmt}")
         for name in zoo.MODELS for quant in zoo.QUANTIZATIONS for fmt in zoo.FORMATS]
no_worse = partial(assert_no_worse, oracle="TensorFlow")   # the IR vs the framework on the quantized model


def convert(model: Path, fmt: str, out: Path, **options) -> Path:
    source = {"input_model": str(model)} if fmt == "frozen" else {"input_model": None, "saved_model_dir": str(model)}
    xml, _ = irforge.save_model(irforge.convert_model(**source, **options), out / "model.xml")
    return xml


@pytest.mark.parametrize("name,quant,fmt", CASES)
def test_qat_model_is_as_accurate_as_tensorflow(name, quant, fmt, tmp_path):
    case = zoo.case(name, quant)
    xml = convert(case.model("qat", fmt), fmt, tmp_path / "int8")
    reference, feeds = case.outputs("fp32"), case.feeds()
    theirs = task_errors(case.outputs("qat"), reference)
    assert theirs["median"] > 0, "the fake-quantized model computes the FP32 model's outputs: nothing to judge"
    no_worse(task_errors(run_many("openvino", xml, feeds), reference), theirs, "OpenVINO")
    no_worse(task_errors(run_many("reference", xml, feeds), reference), theirs, "reference runtime")


@pytest.mark.parametrize("name,quant,fmt", CASES)
def test_compressed_ir_size_and_int8_execution(name, quant, fmt, tmp_path):
    case = zoo.case(name, quant)
    xml = convert(case.model("qat", fmt), fmt, tmp_path / "int8")
    size = xml.with_suffix(".bin").stat().st_size
    fp32 = convert(case.model("fp32", fmt), fmt, tmp_path / "fp32").with_suffix(".bin").stat().st_size
    assert size <= 0.35 * fp32, f"INT8 IR {size} bytes, FP32 IR {fp32}: ratio {size / fp32:.3f}"
    ov = openvino()
    ov.save_model(ov.convert_model(str(case.model("qat", fmt))), str(tmp_path / "ov" / "model.xml"))
    theirs = (tmp_path / "ov" / "model.bin").stat().st_size
    assert size <= theirs, f"irforge's .bin {size} bytes > openvino.convert_model's {theirs}"
    int8, total = int8_layer_share(xml)
    assert total > 0 and int8 == total, f"the CPU plugin runs {int8} of {total} convolution / dense layers in INT8"


@pytest.mark.parametrize("name,quant,fmt", [c for c in CASES if c.values[2] == "frozen"])
def test_disable_weights_compression_gives_the_expanded_ir(name, quant, fmt, tmp_path):
    """The expanded IR holds f32 weights (TensorFlow's quantized values) under FakeQuantize and computes the same
    model: element by element (up to rounding flips in a few activations) on the small net, at task level on all;
    the CPU plugin still runs it in INT8."""
    case = zoo.case(name, quant)
    compressed = convert(case.model("qat", fmt), fmt, tmp_path / "int8")
    expanded = convert(case.model("qat", fmt), fmt, tmp_path / "expanded", disable_weights_compression=True)
    assert expanded.with_suffix(".bin").stat().st_size > 3 * compressed.with_suffix(".bin").stat().st_size
    text = expanded.read_text()
    assert 'element_type="i8"' not in text and 'element_type="u8"' not in text and "FakeQuantize" in text
    feeds, reference = case.feeds(), case.outputs("fp32")
    if name not in zoo.HEAVY:
        for runtime in ("openvino", "reference"):
            for a, b in zip(run_many(runtime, expanded, feeds[:4]), run_many(runtime, compressed, feeds[:4])):
                diff = np.abs(a[0] - b[0]) / (float(np.ptp(b[0])) or 1.0)
                assert np.mean(diff > 1e-5) <= 0.2 and diff.max() <= 0.05, (runtime, diff.max())
    theirs = task_errors(case.outputs("qat"), reference)
    no_worse(task_errors(run_many("openvino", expanded, feeds), reference), theirs, "OpenVINO, expanded")
    no_worse(task_errors(run_many("reference", expanded, feeds), reference), theirs, "reference, expanded")
    int8, total = int8_layer_share(expanded)
    assert int8 == total
