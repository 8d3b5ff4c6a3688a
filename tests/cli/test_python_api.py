"""The same options as keyword arguments of irforge.convert_model, as CLI strings or as Python values: the IR
must be byte-identical to the CLI's."""
import numpy as np
import pytest

import irforge
from irforge.errors import OptionError
from tiny_models import chain, conv_relu, gather_rows, mo, reshape_to_input, save, two_images


def same_ir(tmp_path, model_path, cli_args, **kwargs):
    run = mo(model_path, tmp_path / "cli", *cli_args, name="m")
    assert run.code == 0, run.err
    graph = irforge.convert_model(str(model_path), model_name="m", **kwargs)
    xml, binp = irforge.save_model(graph, tmp_path / "api" / "m.xml", compress_to_fp16=bool(kwargs.get(
        "compress_to_fp16")))
    assert xml.read_bytes() == run.xml.read_bytes()
    assert binp.read_bytes() == run.xml.with_suffix(".bin").read_bytes()


def test_preprocessing_keywords(tmp_path):
    path = save(conv_relu(), tmp_path)
    same_ir(tmp_path, path, ["--input", "x[1,3,8,8]", "--mean_values", "x[1,2,3]", "--scale_values", "[4,5,6]",
                             "--reverse_input_channels", "--layout", "x(nchw->nhwc)", "--compress_to_fp16"],
            input=[("x", [1, 3, 8, 8])], mean_values={"x": [1, 2, 3]}, scale_values=np.array([4.0, 5.0, 6.0]),
            reverse_input_channels=True, layout={"x": ("nchw", "nhwc")}, compress_to_fp16=True)


def test_shape_keywords(tmp_path):
    path = save(two_images(), tmp_path)
    same_ir(tmp_path, path, ["--input", "b,a", "--input_shape", "[1,3,4,4],[1,3,4,4]"],
            input=["b", "a"], input_shape=[[1, 3, 4, 4], (1, 3, 4, 4)])
    path = save(conv_relu(shape=("N", 3, 8, 8)), tmp_path, "dyn")
    same_ir(tmp_path / "b", path, ["--batch", "2"], batch=2)


def test_cut_and_freeze_keywords(tmp_path):
    same_ir(tmp_path, save(chain(), tmp_path), ["--input", "0:conv2", "--output", "y,t4"],
            input="0:conv2", output=["y", "t4"])
    same_ir(tmp_path / "f", save(reshape_to_input(), tmp_path, "r"), ["--freeze_placeholder_with_value",
                                                                      "shape->[20 15]"],
            freeze_placeholder_with_value={"shape": [20, 15]})
    same_ir(tmp_path / "t", save(gather_rows(), tmp_path, "g"), ["--input", "data,idx{i32}"],
            input=["data", ("idx", np.int32)])


@pytest.mark.parametrize("kwargs, option", [
    ({"input_shape": [1, "x"]}, "--input_shape"), ({"mean_values": {"x": [1, "a"]}}, "--mean_values"),
    ({"batch": -1}, "--batch"), ({"scale": 0}, "--scale"), ({"layout": {"x": "nc*hw"}}, "--layout"),
    ({"compress_to_fp16": "maybe"}, "--compress_to_fp16"), ({"no_such_option": 1}, "no_such_option"),
])
def test_bad_keyword_values(tmp_path, kwargs, option):
    with pytest.raises(OptionError) as info:
        irforge.convert_model(str(save(conv_relu(), tmp_path)), **kwargs)
    assert info.value.option == option and "expected" in str(info.value)
