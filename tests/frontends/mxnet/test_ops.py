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
