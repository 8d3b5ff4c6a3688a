"""--mean_values, --scale_values, --scale, --reverse_input_channels and --layout end to end: the IR in OpenVINO
and in the reference runtime against onnxruntime on the original model with the same preprocessing done by hand
in numpy. Means and scales differ per channel, so a wrong channel order or a wrong step order fails."""
import numpy as np
import pytest

from oracles import openvino, run_onnxruntime
from tiny_models import channels_last, check_ir, conv_relu, ir_files, mo, save, two_images

MEAN = np.array([10.0, -20.0, 30.0], np.float32)
SCALE = np.array([2.0, 4.0, 0.5], np.float32)


def nchw(v):
    return np.asarray(v, np.float32).reshape(1, 3, 1, 1)


@pytest.fixture
def image():
    return np.random.default_rng(7).uniform(0, 255, (1, 3, 8, 8)).astype(np.float32)


def test_legacy_order_reverse_then_mean_then_scale(tmp_path, image):
    path = save(conv_relu(), tmp_path)
    run = mo(path, tmp_path / "ir", "--reverse_input_channels", "--mean_values", "[10,-20,30]",
             "--scale_values", "(2,4,0.5)")
    assert run.code == 0, run.err
    # Parameter -> reverse channels -> subtract mean -> divide by scale -> model; the values are in the
    # model's channel order (they apply after the reversal).
    expected = run_onnxruntime(path, [(image[:, ::-1] - nchw(MEAN)) / nchw(SCALE)])
    check_ir(run.xml, [image], expected, rtol=1e-4, atol=1e-4)


def test_mean_only_and_global_scale(tmp_path, image):
    path = save(conv_relu(), tmp_path)
    run = mo(path, tmp_path / "ir", "--mean_values", "x[10,-20,30]", "--scale", "255")
    assert run.code == 0, run.err
    check_ir(run.xml, [image], run_onnxruntime(path, [(image - nchw(MEAN)) / 255]), atol=1e-5)


def test_single_value_mean_applies_to_every_channel(tmp_path, image):
    path = save(conv_relu(), tmp_path)
    run = mo(path, tmp_path / "ir", "--mean_values", "[127.5]", "--scale_values", "[127.5]")
    assert run.code == 0, run.err
    check_ir(run.xml, [image], run_onnxruntime(path, [(image - 127.5) / 127.5]), atol=1e-5)


def test_per_input_values_by_name_and_by_input_order(tmp_path):
    path = save(two_images(), tmp_path)
    rng = np.random.default_rng(1)
    a, b = (rng.uniform(0, 9, (1, 3, 4, 4)).astype(np.float32) for _ in range(2))
    expected = run_onnxruntime(path, [(a - nchw([1, 2, 3])) / nchw([2, 2, 2]), b - nchw([4, 5, 6])])
    named = mo(path, tmp_path / "named", "--mean_values", "b[4,5,6],a[1,2,3]", "--scale_values", "a[2,2,2]")
    assert named.code == 0, named.err
    check_ir(named.xml, [a, b], expected)
    # Unnamed items follow the --input order, which is also the IR's input order.
    ordered = mo(path, tmp_path / "ordered", "--input", "b,a", "--mean_values", "[4,5,6],[1,2,3]")
    assert ordered.code == 0, ordered.err
    assert [i.get_any_name() for i in openvino().Core().read_model(str(ordered.xml)).inputs] == ["b", "a"]
    check_ir(ordered.xml, [b, a], run_onnxruntime(path, [a - nchw([1, 2, 3]), b - nchw([4, 5, 6])]))


def test_channels_last_input_finds_its_channels(tmp_path):
    path = save(channels_last(), tmp_path)
    x = np.random.default_rng(2).uniform(0, 255, (1, 8, 8, 3)).astype(np.float32)
    run = mo(path, tmp_path / "ir", "--reverse_input_channels", "--mean_values", "[10,-20,30]")
    assert run.code == 0, run.err
    expected = run_onnxruntime(path, [x[..., ::-1] - MEAN.reshape(1, 1, 1, 3)])
    check_ir(run.xml, [x], expected, atol=1e-4)


def test_target_layout_transposes_the_input(tmp_path, image):
    path = save(conv_relu(), tmp_path)
    for args in (["--layout", "nchw->nhwc"], ["--source_layout", "nchw", "--target_layout", "nhwc"],
                 ["--layout", "x(nchw->nhwc)"], ["--layout", "x[n,c,h,w]->[n,h,w,c]"]):
        out = tmp_path / args[1].replace(">", "").replace("[", "").replace("]", "").replace(",", "")
        run = mo(path, out, *args, "--mean_values", "[10,-20,30]", "--reverse_input_channels")
        assert run.code == 0, (args, run.err)
        model = openvino().Core().read_model(str(run.xml))
        assert list(model.input(0).get_partial_shape().to_shape()) == [1, 8, 8, 3], args
        assert str(openvino().layout_helpers.get_layout(model.input(0))) == "[N,H,W,C]", args
        feed = image.transpose(0, 2, 3, 1).copy()  # the IR takes NHWC; the model still sees NCHW
        check_ir(run.xml, [feed], run_onnxruntime(path, [image[:, ::-1] - nchw(MEAN)]), atol=1e-4)


def test_source_layout_alone_is_recorded_and_picks_the_channels(tmp_path):
    # [1,3,8,3]: both NCHW and NHWC positions hold 3, so only a layout can say which is C.
    path = save(conv_relu(shape=(1, 3, 8, 3)), tmp_path)
    ambiguous = mo(path, tmp_path / "ambiguous", "--mean_values", "[10,-20,30]")
    assert ambiguous.code == 1
    assert "--mean_values" in ambiguous.err and "--layout" in ambiguous.err and "two possible" in ambiguous.err
    assert ir_files(tmp_path / "ambiguous") == []
    run = mo(path, tmp_path / "ir", "--mean_values", "[10,-20,30]", "--layout", "nchw")
    assert run.code == 0, run.err
    assert str(openvino().layout_helpers.get_layout(
        openvino().Core().read_model(str(run.xml)).input(0))) == "[N,C,H,W]"
    x = np.random.default_rng(3).uniform(0, 9, (1, 3, 8, 3)).astype(np.float32)
    check_ir(run.xml, [x], run_onnxruntime(path, [x - nchw(MEAN)]), atol=1e-4)


def test_integer_input_type_with_mean_runs_in_float(tmp_path):
    path = save(conv_relu(), tmp_path)
    pixels = np.random.default_rng(4).integers(0, 256, (1, 3, 8, 8)).astype(np.uint8)
    run = mo(path, tmp_path / "ir", "--input", "x{u8}", "--mean_values", "[10,-20,30]", "--scale", "255")
    assert run.code == 0, run.err
    model = openvino().Core().read_model(str(run.xml))
    assert model.input(0).get_element_type() == openvino().Type.u8
    expected = run_onnxruntime(path, [(pixels.astype(np.float32) - nchw(MEAN)) / 255])
    check_ir(run.xml, [pixels], expected, atol=1e-5)


def test_output_layout_transposes_the_output(tmp_path, image):
    path = save(conv_relu(), tmp_path)
    run = mo(path, tmp_path / "ir", "--layout", "y(nchw->nhwc)")
    assert run.code == 0, run.err
    (expected,) = run_onnxruntime(path, [image])
    check_ir(run.xml, [image], [expected.transpose(0, 2, 3, 1)])
    assert openvino().Core().read_model(str(run.xml)).output(0).get_any_name() == "y"


@pytest.mark.parametrize("args, words", [
    (["--mean_values", "[1,2,3,4]"], ["--mean_values", "[1,2,3,4]", "no channel dim of size 4", "dim 1 = 3"]),
    (["--mean_values", "[1,2,3,4]", "--layout", "nchw"], ["--mean_values", "3 value(s)", "3 channels"]),
    (["--scale_values", "[1,0,1]"], ["--scale_values", "[1,0,1]", "non-zero"]),
    (["--mean_values", "y[1,2,3]"], ["--mean_values", "no input called 'y'", "x"]),
    (["--mean_values", "[1,2,3],[4,5,6]"], ["--mean_values", "one item per input", "1 model inputs"]),
    (["--mean_values", "x[1,2,3],[4,5,6]"], ["--mean_values", "every item or to none"]),
    (["--scale", "2", "--scale_values", "[1,2,3]"], ["--scale", "not both"]),
    (["--layout", "nc*hw"], ["--layout", "nc*hw", "merged dims"]),
    (["--layout", "ncw"], ["--layout", "rank 4"]),
    (["--layout", "nchw->ncdw"], ["--layout", "different dims"]),
    (["--layout", "nchw", "--source_layout", "nchw"], ["--layout", "not both"]),
    (["--reverse_input_channels", "--layout", "nhwc"], ["--reverse_input_channels", "3 channels", "x[1,3,8,8]"]),
])
def test_bad_preprocessing_values_fail_clearly(tmp_path, args, words):
    path = save(conv_relu(), tmp_path)
    run = mo(path, tmp_path / "ir", *args)
    assert run.code != 0
    for word in words:
        assert word in run.err, (word, run.err)
    assert "expected" in run.err
    assert ir_files(tmp_path / "ir") == []
