"""Loading TensorFlow models: names given with or without ":0", cuts, unsupported ops reported at once, errors
that say what is wrong, TensorBoard logs, and the layout the IR keeps."""
import numpy as np
import pytest

import irforge
from irforge.errors import ConversionError, InputError, UnsupportedOps
from irforge.frontends.tensorflow import protos
from oracles import run_openvino
from tf_models import case, check_case, check_function, tf

rng = np.random.default_rng(21)


def _graph_def(nodes):
    """A GraphDef from (name, op, inputs, attrs) with our own descriptors (no TensorFlow needed)."""
    g = protos.GraphDef()
    for name, op, inputs, attrs in nodes:
        node = g.node.add(name=name, op=op)
        node.input.extend(inputs)
        for key, value in attrs.items():
            if isinstance(value, int):
                node.attr[key].type = value
    return g


def test_unsupported_ops_are_reported_together(tmp_path):
    g = _graph_def([("x", "Placeholder", [], {"dtype": 1}), ("a", "MyCustomOp", ["x"], {}),
                    ("b", "MyCustomOp", ["a"], {}), ("c", "OtherOp", ["b"], {}), ("y", "Relu", ["c"], {}),
                    ("dead", "NeverNeeded", ["x"], {}), ("z", "Identity", ["y"], {"T": 1})])
    path = tmp_path / "m.pb"
    path.write_bytes(g.SerializeToString())
    with pytest.raises(UnsupportedOps) as e:
        irforge.convert_model(str(path), output="z")
    assert e.value.counts == {"MyCustomOp": 2, "OtherOp": 1}   # the unreachable NeverNeeded is not reported
    assert "'a'" in str(e.value) and "'c'" in str(e.value)
    assert not (tmp_path / "m.xml").exists()


def test_unsupported_op_inside_a_function_names_the_function(tmp_path):
    g = _graph_def([("x", "Placeholder", [], {"dtype": 1}), ("call", "PartitionedCall", ["x"], {}),
                    ("y", "Identity", ["call"], {"T": 1})])
    g.node[1].attr["f"].func.name = "body"
    f = g.library.function.add()
    f.signature.name = "body"
    f.signature.input_arg.add(name="a", type=1)
    f.signature.output_arg.add(name="out", type=1)
    f.node_def.add(name="weird", op="WeirdOp", input=["a"])
    f.ret["out"] = "weird:output:0"
    path = tmp_path / "m.pb"
    path.write_bytes(g.SerializeToString())
    with pytest.raises(UnsupportedOps) as e:
        irforge.convert_model(str(path))
    assert e.value.nodes == [("WeirdOp", "body/weird")]


def test_corrupt_and_missing_files(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        irforge.convert_model(str(tmp_path / "missing.pb"))
    bad = tmp_path / "bad.pb"
    bad.write_bytes(b"\xff\xff\xff\xff garbage")
    with pytest.raises(InputError, match="not a binary GraphDef"):
        irforge.convert_model(str(bad))
    with pytest.raises(InputError, match="SavedModel directory does not exist"):
        irforge.convert_model(None, saved_model_dir=str(tmp_path / "nope"))


def test_variables_need_a_checkpoint(tmp_path):
    c = case("tf1_graph_ckpt_ref", "raw")
    with pytest.raises(ConversionError, match="no checkpoint gives its value"):
        irforge.convert_model(c.options["input_model"], output="output")


def test_text_graph_without_the_flag(tmp_path):
    """A .pbtxt is read as text by its extension; a text file named .pb is recognised too."""
    c = case("toy_cnn", "pbtxt")
    renamed = tmp_path / "model.pb"
    renamed.write_bytes(open(c.options["input_model"], "rb").read())
    c.options = {"input_model": str(renamed)}
    check_case(c, tmp_path)


def test_names_with_and_without_port(tmp_path):
    t = tf()
    w = t.constant(rng.standard_normal((3, 4)).astype(np.float32))

    def fn(x):
        h = t.nn.relu(t.matmul(x, w), name="hidden")
        return t.identity(h * 2.0, name="out")
    x = rng.standard_normal((2, 3)).astype(np.float32)
    graph = check_function(fn, [x], tmp_path)
    assert graph.outputs()[0].names >= {"out", "out:0"}
    # --output as "node:0" cuts there; --input "x:0" takes a new shape.
    cut = irforge.convert_model(str(next(tmp_path.glob("tf-*/model.pb"))), input="x:0[5,3]", output="hidden:0")
    xml, _ = irforge.save_model(cut, tmp_path / "cut" / "m.xml")
    feed = rng.standard_normal((5, 3)).astype(np.float32)
    (got,) = run_openvino(xml, [feed])
    np.testing.assert_allclose(got, np.maximum(feed @ w.numpy(), 0), rtol=1e-5, atol=1e-6)
    assert [p.outputs[0].shape for p in cut.parameters] == [(5, 3)]


def test_input_cut_at_an_inner_node(tmp_path):
    """--input naming an inner node makes it the model input: what feeds it is dropped."""
    t = tf()

    def fn(x):
        h = t.math.exp(x, name="feature")
        return t.math.tanh(h, name="out")
    check_function(fn, [rng.standard_normal((2, 3)).astype(np.float32)], tmp_path)
    graph = irforge.convert_model(str(next(tmp_path.glob("tf-*/model.pb"))), input="feature[2,3]")
    assert [p.name for p in graph.parameters] == ["feature"]
    assert not any(n.op.TYPE == "Exp" for n in graph.nodes)


def test_tensorboard_logdir(tmp_path):
    """The events file TensorBoard reads: TensorFlow's own reader (it checks the record CRCs) gives back the
    GraphDef we loaded."""
    t = tf()
    c = case("toy_cnn", "frozen")
    logdir = tmp_path / "logs"
    irforge.convert_model(c.options["input_model"], tensorboard_logdir=str(logdir))
    files = list(logdir.glob("events.out.tfevents.*"))
    assert len(files) == 1
    events = list(t.compat.v1.train.summary_iterator(str(files[0])))
    assert events[0].file_version == "brain.Event:2"
    graph = t.compat.v1.GraphDef()
    graph.ParseFromString(events[1].graph_def)
    original = t.compat.v1.GraphDef()
    original.ParseFromString(open(c.options["input_model"], "rb").read())
    assert graph == original


def test_layout_is_the_models_own(tmp_path):
    """NHWC in, NHWC out, and the transposes of the NCHW convolutions cancel between layers: what is left is the
    one at the input. (The one before Flatten's Reshape, which needs the NHWC order, moves only the unit axes of
    the 1x1 pooled map here, so simplify_reshapes makes it part of that Reshape.)"""
    graph = check_case(case("toy_cnn", "frozen"), tmp_path)
    assert graph.inputs()[0].shape == (1, 16, 16, 3)
    transposes = [n for n in graph.nodes if n.op.TYPE == "Transpose"]
    convolutions = [n for n in graph.nodes if "Convolution" in n.op.TYPE]
    assert len(convolutions) == 4 and len(transposes) == 1
