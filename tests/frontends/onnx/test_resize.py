"""Resize with scales / sizes / roi known at conversion time: every ONNX Resize node case of the installed onnx
package, its run-time inputs frozen into constants, must match the case's expected output in the OpenVINO runtime
and the reference runtime. (The node suite feeds them at run time, where only what Interpolate can express
converts; frozen, the exact construction covers antialiasing, exclude_outside, half_pixel_symmetric,
tf_crop_and_resize and keep_aspect_ratio_policy too.)"""
import numpy as np
import onnx
import pytest

import irforge
from node_suite import case_names, ensure_cases, load_data, mismatch
from oracles import run_openvino, run_reference

ROOT = ensure_cases()
CASES = [c for c in case_names(ROOT) if c.startswith(("test_resize_", "test_upsample_"))]


@pytest.mark.parametrize("case", CASES)
def test_resize_with_constant_parameters(tmp_path, case):
    data = load_data(ROOT / case)
    if data is None:
        pytest.skip("data numpy cannot hold")
    feeds, expected = data
    model = onnx.load(str(ROOT / case / "model.onnx"))
    names = [i.name for i in model.graph.input]
    frozen = {name: np.array(value) for name, value in zip(names[1:], feeds[1:])}
    graph = irforge.convert_model(str(ROOT / case / "model.onnx"), freeze_placeholder_with_value=frozen)
    assert not any(n.op.TYPE == "Parameter" and n.name != names[0] for n in graph.parameters)
    xml, _ = irforge.save_model(graph, tmp_path / "model.xml")
    x = np.array(feeds[0])
    assert mismatch(run_openvino(xml, [x]), expected) == "", "OpenVINO runtime"
    assert mismatch(run_reference(xml, [x]), expected) == "", "reference runtime"
