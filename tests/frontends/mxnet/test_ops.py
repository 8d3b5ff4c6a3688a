"""One MXNet op per case (op_cases.py): converted without MXNet, run in OpenVINO and the reference runtime,
compared with MXNet's own outputs."""
from __future__ import annotations

import pytest

from check import check_case
from mxnet_oracle import ops_dir
from irforge import ops
from op_cases import CASES, NEEDS_OP


@pytest.mark.parametrize("name", sorted(CASES))
def test_op(name, tmp_path):
    needed = NEEDS_OP.get(name)
    if needed and not hasattr(ops, needed):
        pytest.skip(f"the {needed} op (another helper's part of irforge) has not landed in this branch yet")
    check_case(ops_dir(), name, tmp_path)


@pytest.mark.parametrize("name", [c for c in sorted(CASES) if c.startswith("bilinear_resize")])
def test_bilinear_resize_is_one_interpolate(name, tmp_path):
    """MXNet's bilinear weights (corners aligned or not) are Interpolate's linear_onnx ones: no MatMul."""
    import xml.etree.ElementTree as ET
    xml = check_case(ops_dir(), name, tmp_path)
    types = [layer.get("type") for layer in ET.parse(xml).iter("layer")]
    assert "Interpolate" in types and "MatMul" not in types
