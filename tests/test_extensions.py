"""--extensions: user translators for ops irforge does not know, per framework, through `mo` and the Python API;
the IR they make runs in OpenVINO and the reference runtime; bad extension files get a clear error."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import irforge
from irforge.errors import OptionError, UnsupportedOps
from irforge.frontends.tensorflow import protos
from tiny_models import check_ir, mo

rng = np.random.default_rng(8)

EXTENSION = '''
from irforge import ops

def my_swish(node):
    x = node.input(0)
    beta = node.attr("beta", 1.0)
    scaled = node.out(ops.Multiply(), x, node.graph.constant(float(beta)))
    return [node.out(ops.Multiply(), x, node.out(ops.Sigmoid(), scaled))]

def my_relu(node):
    return [node.out(ops.Relu(), node.input(0))]

ONNX_OPS = {"com.example::MySwish": my_swish}
TENSORFLOW_OPS = {"MyRelu": my_relu}
MXNET_OPS = {"MyRelu": my_relu}

def my_scale_layer(ctx):                      # a Caffe layer: its params are read like any layer's
    k = float(ctx.param("my_scale_param").get("k", 1.0))
    return [ctx.out(ops.Multiply(), ctx.input(), ctx.graph.constant(k))]

CAFFE_LAYERS = {"MyScale": my_scale_layer}
'''


def swish_model(tmp_path):
    node = helper.make_node("MySwish", ["x"], ["y"], domain="com.example", beta=1.5)
    graph = helper.make_graph([node], "custom", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 5])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 5])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)])
    path = tmp_path / "custom.onnx"
    onnx.save(model, str(path))
    return path


def extension(tmp_path, text: str = EXTENSION, name: str = "my_ops.py"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_onnx_custom_op_through_mo(tmp_path):
    model = swish_model(tmp_path)
    run = mo(model, tmp_path / "ir", "--extensions", str(extension(tmp_path)))
    assert run.code == 0, run.err
    x = rng.standard_normal((2, 5)).astype(np.float32)
    check_ir(run.xml, [x], [x / (1 + np.exp(-1.5 * x))])      # numpy: the op's definition, beta = 1.5


def test_without_the_extension_the_op_is_unsupported(tmp_path):
    with pytest.raises(UnsupportedOps) as e:
        irforge.convert_model(str(swish_model(tmp_path)))
    assert "com.example::MySwish" in str(e.value)


def test_tensorflow_custom_op_through_the_api(tmp_path):
    g = protos.GraphDef()
    g.node.add(name="x", op="Placeholder").attr["dtype"].type = 1
    g.node.add(name="y", op="MyRelu", input=["x"])
    path = tmp_path / "custom.pb"
    path.write_bytes(g.SerializeToString())
    graph = irforge.convert_model(str(path), input_shape="[3,4]", extensions=[str(extension(tmp_path))])
    xml, _ = irforge.save_model(graph, tmp_path / "ir" / "model.xml")
    x = rng.standard_normal((3, 4)).astype(np.float32)
    check_ir(xml, [x], [np.maximum(x, 0)])


def test_caffe_custom_layer(tmp_path):
    proto = tmp_path / "deploy.prototxt"
    proto.write_text('input: "data" input_shape { dim: 1 dim: 3 dim: 4 dim: 4 }\n'
                     'layer { name: "s" type: "MyScale" bottom: "data" top: "s" my_scale_param { k: 3 } }\n')
    graph = irforge.convert_model(None, input_proto=str(proto), extensions=[str(extension(tmp_path))])
    xml, _ = irforge.save_model(graph, tmp_path / "ir" / "model.xml")
    x = rng.standard_normal((1, 3, 4, 4)).astype(np.float32)
    check_ir(xml, [x], [3 * x])


def test_mxnet_custom_op(tmp_path):
    import json
    from irforge.frontends.mxnet.params import write_ndarray_file
    nodes = [{"op": "null", "name": "data", "inputs": []}, {"op": "MyRelu", "name": "r", "inputs": [[0, 0, 0]]}]
    (tmp_path / "m-symbol.json").write_text(json.dumps({"nodes": nodes, "arg_nodes": [0], "heads": [[1, 0, 0]]}))
    write_ndarray_file(str(tmp_path / "m-0000.params"), [])
    graph = irforge.convert_model(str(tmp_path / "m-0000.params"), input_shape="[2,6]",
                                  extensions=[str(extension(tmp_path))])
    xml, _ = irforge.save_model(graph, tmp_path / "ir" / "model.xml")
    x = rng.standard_normal((2, 6)).astype(np.float32)
    check_ir(xml, [x], [np.maximum(x, 0)])


def test_a_directory_of_extensions(tmp_path):
    folder = tmp_path / "exts"
    folder.mkdir()
    extension(folder)
    run = mo(swish_model(tmp_path), tmp_path / "ir", "--extensions", str(folder))
    assert run.code == 0, run.err


@pytest.mark.parametrize("make,words", [
    (lambda t: t / "missing.py", "no such file"),
    (lambda t: extension(t, "raise RuntimeError('boom')\n"), "importing it failed: RuntimeError: boom"),
    (lambda t: extension(t, "ONNX_OPS = ['not', 'a', 'dict']\n"), "not a dict of op names to functions"),
    (lambda t: extension(t, "", name="libcustom.so"), "legacy Model Optimizer"),
])
def test_bad_extension_files(tmp_path, make, words):
    run = mo(swish_model(tmp_path), tmp_path / "ir", "--extensions", str(make(tmp_path)))
    assert run.code != 0 and "--extensions" in run.err and words in run.err, run.err
    assert not (tmp_path / "ir" / "ir.xml").exists()


def test_kaldi_takes_no_extensions(tmp_path):
    with pytest.raises(OptionError, match="kaldi frontend reads its components with its own parser"):
        irforge.convert_model(str(tmp_path / "final.nnet"), framework="kaldi", extensions=[str(extension(tmp_path))])
