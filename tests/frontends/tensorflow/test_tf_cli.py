"""The `mo` command with the TensorFlow flags, end to end (in-process), and its one-line errors."""
import numpy as np

from tf_models import case
from tiny_models import check_ir, ir_files, mo


def test_saved_model_dir_flag(tmp_path):
    c = case("toy_cnn", "tf_save")
    run = mo(None, tmp_path / "ir", "--saved_model_dir", c.options["saved_model_dir"])
    assert run.code == 0, run.err
    check_ir(run.xml, c.inputs, c.expected)


def test_meta_graph_and_text_flags(tmp_path):
    c = case("tf1_meta_ref", "raw")
    run = mo(None, tmp_path / "ir", "--input_meta_graph", c.options["input_meta_graph"], "--output", "output")
    assert run.code == 0, run.err
    check_ir(run.xml, c.inputs, c.expected)
    t = case("toy_cnn", "pbtxt")
    run = mo(None, tmp_path / "ir2", "--input_model", t.options["input_model"], "--input_model_is_text",
             "--input_shape", "[1,16,16,3]")
    assert run.code == 0, run.err
    check_ir(run.xml, t.inputs, t.expected)


def test_unsupported_ops_message_and_no_files(tmp_path):
    from irforge.frontends.tensorflow import protos
    g = protos.GraphDef()
    g.node.add(name="x", op="Placeholder").attr["dtype"].type = 1
    g.node.add(name="y", op="FancyOp", input=["x"])
    path = tmp_path / "m.pb"
    path.write_bytes(g.SerializeToString())
    run = mo(path, tmp_path / "ir")
    assert run.code != 0
    assert "FancyOp x1: 'y'" in run.err and "Traceback" not in run.err
    assert ir_files(tmp_path / "ir") == []


def test_input_checkpoint_flag(tmp_path):
    c = case("tf1_graph_ckpt_resource", "raw")
    run = mo(None, tmp_path / "ir", "--input_model", c.options["input_model"], "--input_checkpoint",
             c.options["input_checkpoint"], "--output", "output:0")
    assert run.code == 0, run.err
    check_ir(run.xml, [np.asarray(x) for x in c.inputs], c.expected)
