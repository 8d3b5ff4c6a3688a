"""One MXNet op per case (op_cases.py): converted without MXNet, run in OpenVINO and the reference runtime,
compared with MXNet's own outputs."""
from __future__ import annotations

import pytest

from check import check_case
from mxnet_oracle import ops_dir
from op_cases import CASES


@pytest.mark.parametrize("name", sorted(CASES))
def test_op(name, tmp_path):
    check_case(ops_dir(), name, tmp_path)
