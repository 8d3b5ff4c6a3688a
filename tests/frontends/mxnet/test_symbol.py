"""The symbol reader and the loader: symbols of MXNet < 1.0 (param/attr keys, [node, output] inputs, auxiliary
states left out), every unsupported op in one error, clear errors for broken files."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import irforge
from irforge.core.element_type import ElementType
from irforge.errors import InputError, OptionError, UnsupportedOps
from irforge.frontends.mxnet.params import write_ndarray_file
from irforge.frontends.mxnet.symbol_json import read_symbol
from check import assert_matches
from mxnet_oracle import run_in_oracle
from oracles import run_openvino, run_reference

HERE = Path(__file__).parent
LEGACY = HERE / "legacy_v0.8-symbol.json"   # hand-written in the v0.8 layout; MXNet 1.9 upgrades it on load

RUN_LEGACY = """
import sys, numpy as np, mxnet as mx
folder = sys.argv[1]
sym = mx.sym.load(folder + '/legacy-symbol.json')
rng = np.random.default_rng(5)
x = rng.standard_normal((1, 2, 5, 5)).astype(np.float32)
arg_shapes, _, aux_shapes = sym.infer_shape(data=x.shape)
args = {n: mx.nd.array(rng.standard_normal(s).astype(np.float32)) for n, s in zip(sym.list_arguments(), arg_shapes)
        if n not in ('data', 'softmax_label')}
aux = {n: mx.nd.array(rng.uniform(0.5, 1.5, s).astype(np.float32)) for n, s in zip(sym.list_auxiliary_states(), aux_shapes)}
mx.model.save_checkpoint(folder + '/legacy', 0, sym, args, aux)
exe = sym.bind(mx.cpu(), args=dict(args, data=mx.nd.array(x), softmax_label=mx.nd.zeros((1,))), aux_states=aux,
               grad_req='null')
np.save(folder + '/x.npy', x)
np.save(folder + '/y.npy', exe.forward(is_train=False)[0].asnumpy())
print(sym.list_outputs()[0])
"""


def test_legacy_symbol(tmp_path):
    """A v0.8 symbol: MXNet upgrades it on load (auxiliary states become bn_moving_mean / bn_moving_var); irforge
    reads the original file and finds the same weights in the checkpoint."""
    shutil.copy(LEGACY, tmp_path / "legacy-symbol.json")
    output_name = run_in_oracle(RUN_LEGACY, str(tmp_path)).strip().splitlines()[-1]
    shutil.copy(LEGACY, tmp_path / "legacy-symbol.json")   # the original again, not MXNet's upgraded copy
    symbol = read_symbol(str(tmp_path / "legacy-symbol.json"))
    assert symbol.nodes[3].attrs["kernel"] == "(3, 3)" and symbol.nodes[7].attrs["ctx_group"] == "stage1"
    x, expected = np.load(tmp_path / "x.npy"), np.load(tmp_path / "y.npy")
    graph = irforge.convert_model(str(tmp_path / "legacy-0000.params"), input_shape="[1,2,5,5]",
                                  legacy_mxnet_model=True)
    assert [p.name for p in graph.parameters] == ["data"]          # the label is not an input
    xml, _ = irforge.save_model(graph, tmp_path / "ir" / "legacy.xml")
    for got in (run_openvino(xml, [x])[0], run_reference(xml, [x])[0]):
        assert_matches(got, expected, "legacy symbol")
    assert [r.name for r in graph.results] == [output_name] == ["softmax_output"]


def _params(path: Path, names: dict[str, tuple[int, ...]]) -> None:
    write_ndarray_file(str(path), [(f"arg:{k}", ElementType.f32, s, np.zeros(s, np.float32).tobytes())
                                   for k, s in names.items()])


def _symbol(path: Path, nodes: list[dict], heads: list) -> None:
    path.write_text(json.dumps({"nodes": nodes, "arg_nodes": [], "heads": heads}))


def test_unsupported_ops_reported_together(tmp_path):
    nodes = [{"op": "null", "name": "data", "inputs": []},
             {"op": "Correlation", "name": "corr1", "inputs": [[0, 0, 0], [0, 0, 0]]},
             {"op": "relu", "name": "r", "inputs": [[1, 0, 0]]},
             {"op": "Correlation", "name": "corr2", "inputs": [[2, 0, 0], [2, 0, 0]]},
             {"op": "_contrib_DeformableConvolution", "name": "dcn", "inputs": [[3, 0, 0]]}]
    _symbol(tmp_path / "m-symbol.json", nodes, [[4, 0, 0]])
    _params(tmp_path / "m-0000.params", {})
    with pytest.raises(UnsupportedOps) as e:
        irforge.convert_model(str(tmp_path / "m-0000.params"))
    assert e.value.counts == {"Correlation": 2, "_contrib_DeformableConvolution": 1}
    assert "'corr1', 'corr2'" in str(e.value) and "'dcn'" in str(e.value)


def test_broken_json_names_the_offset(tmp_path):
    (tmp_path / "m-symbol.json").write_text('{"nodes": [{"op": "null", "name": "data" "inputs": []}]}')
    _params(tmp_path / "m-0000.params", {})
    with pytest.raises(InputError, match=r"not valid JSON.*byte offset 41"):
        irforge.convert_model(str(tmp_path / "m-0000.params"))


def test_missing_symbol_says_where_it_looked(tmp_path):
    _params(tmp_path / "m-0000.params", {})
    with pytest.raises(InputError, match=r"m-symbol\.json"):
        irforge.convert_model(str(tmp_path / "m-0000.params"))


def test_input_symbol_option(tmp_path):
    """--input_symbol names a symbol that is not beside the weights."""
    nodes = [{"op": "null", "name": "data", "inputs": []}, {"op": "relu", "name": "r", "inputs": [[0, 0, 0]]}]
    _symbol(tmp_path / "elsewhere.json", nodes, [[1, 0, 0]])
    _params(tmp_path / "w.params", {})
    graph = irforge.convert_model(str(tmp_path / "w.params"), input_symbol=str(tmp_path / "elsewhere.json"),
                                  input_shape="[2,3]")
    assert [r.name for r in graph.results] == ["r_output"]


def test_nd_flow_needs_all_three_options(tmp_path):
    with pytest.raises(OptionError, match="--input_symbol"):
        irforge.convert_model(None, nd_prefix_name="x", pretrained_model_name=str(tmp_path / "p-0000.params"))


def test_unknown_input_name(tmp_path):
    nodes = [{"op": "null", "name": "data", "inputs": []}, {"op": "relu", "name": "r", "inputs": [[0, 0, 0]]}]
    _symbol(tmp_path / "m-symbol.json", nodes, [[1, 0, 0]])
    _params(tmp_path / "m-0000.params", {})
    with pytest.raises(OptionError, match="data"):
        irforge.convert_model(str(tmp_path / "m-0000.params"), input="image[1,3]")
