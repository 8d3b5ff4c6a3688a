"""Convert an MXNet test case with irforge (no MXNet in this venv) and hold the real OpenVINO runtime and the
reference runtime against MXNet's own outputs."""
from __future__ import annotations

from pathlib import Path

import numpy as np

import irforge
from oracles import assert_close, openvino, run_openvino, run_reference

from mxnet_oracle import load_case

RTOL = 1e-4


def assert_matches(got: np.ndarray, expected: np.ndarray, what: str) -> None:
    """Within 1e-4 of the output's scale: relative to the largest magnitude, so values near zero in a deep net's
    output are held to the same absolute standard as the rest."""
    scale = float(np.abs(expected).max()) if expected.size and expected.dtype.kind == "f" else 1.0
    assert_close(got, expected, rtol=RTOL, atol=RTOL * max(scale, 1e-6), what=what)


def convert_case(folder: Path, name: str, tmp_path: Path, **extra) -> tuple[Path, dict, dict, dict]:
    manifest, inputs, expected = load_case(folder, name)
    options = dict(manifest["options"])
    for key in ("input_symbol", "pretrained_model_name"):
        if key in options:
            options[key] = str(folder / options[key])
    options.update(extra)
    options = {k: v for k, v in options.items() if v is not None}
    model = None if "nd_prefix_name" in options else str(folder / f"{name}-0000.params")
    graph = irforge.convert_model(model, **options)
    xml, _ = irforge.save_model(graph, tmp_path / f"{name}.xml")
    return xml, manifest, inputs, expected


def check_case(folder: Path, name: str, tmp_path: Path, reference: bool = True, **extra) -> Path:
    """Both runtimes give MXNet's outputs, under MXNet's output names, in MXNet's order."""
    xml, manifest, inputs, expected = convert_case(folder, name, tmp_path, **extra)
    ov = openvino()
    model = ov.Core().read_model(str(xml))
    assert [o.get_any_name() for o in model.outputs] == manifest["outputs"]
    assert [i.get_any_name() for i in model.inputs] == list(manifest["inputs"])
    got_ov = run_openvino(xml, inputs)
    got_ref = run_reference(xml, inputs) if reference else None
    for i, out_name in enumerate(manifest["outputs"]):
        assert_matches(got_ov[i], expected[out_name], f"{name} {out_name}: OpenVINO vs MXNet")
        if got_ref is not None:
            assert_matches(got_ref[i], expected[out_name], f"{name} {out_name}: reference runtime vs MXNet")
    return xml
