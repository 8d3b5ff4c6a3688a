"""Whole MXNet models (gluon model zoo with random weights, symbolic nets) converted without MXNet, run in the
OpenVINO runtime and the reference runtime, and compared with MXNet's own outputs."""
from __future__ import annotations

import subprocess
import sys

import pytest

from check import check_case
from mxnet_oracle import models_dir, run_in_oracle

LIGHT_ZOO = ["resnet18_v1", "resnet18_v2", "mobilenet0.25", "mobilenetv2_0.25", "squeezenet1.1", "vgg11_bn",
             "alexnet"]
HEAVY_ZOO = ["densenet121", "inceptionv3"]  # 224 / 299 inputs: the numpy reference runtime takes a while


@pytest.mark.parametrize("name", LIGHT_ZOO)
def test_zoo(name, tmp_path):
    check_case(models_dir(), name, tmp_path)


@pytest.mark.heavy
@pytest.mark.parametrize("name", HEAVY_ZOO)
def test_zoo_heavy(name, tmp_path):
    check_case(models_dir(), name, tmp_path)


def test_heavy_zoo_in_openvino(tmp_path):
    """The big-input nets in the OpenVINO runtime only (the reference runtime runs them under -m heavy)."""
    for name in HEAVY_ZOO:
        check_case(models_dir(), name, tmp_path, reference=False)


def test_reshape_special_values(tmp_path):
    """0, -1, -2, -3, -4 and reverse=True, each an output of one symbol."""
    check_case(models_dir(), "reshape_special", tmp_path)


def test_reshape_dynamic_batch(tmp_path):
    """With a dynamic batch the targets are computed from ShapeOf: still MXNet's shapes for the real input."""
    check_case(models_dir(), "reshape_special", tmp_path, input_shape="[?,3,4,5]")


@pytest.mark.parametrize("name", ["lstm_tagger", "rnn_gru", "rnn_tanh", "rnn_relu", "rnn_lstm_states"])
def test_recurrent(name, tmp_path):
    check_case(models_dir(), name, tmp_path)


def test_style_transfer_nd_files(tmp_path):
    """Weights from style_args.nd / style_auxs.nd, the missing first conv from a pretrained checkpoint."""
    check_case(models_dir(), "style_gen", tmp_path)


def test_save_params_from_nd(tmp_path):
    """--save_params_from_nd writes the merged checkpoint; MXNet loads it, and converting it alone gives the same."""
    import shutil
    folder = tmp_path / "models"
    folder.mkdir()
    for f in models_dir().glob("style_*"):
        shutil.copy(f, folder)
    check_case(folder, "style_gen", tmp_path, save_params_from_nd=True)
    merged = folder / "style_gen-0000.params"
    assert merged.exists()
    names = run_in_oracle("import sys, mxnet as mx; print(sorted(mx.nd.load(sys.argv[1])))", str(merged))
    assert "arg:enc1_conv_weight" in names and "aux:enc1_bn_moving_mean" in names
    check_case(folder, "style_gen", tmp_path / "again", nd_prefix_name=None, pretrained_model_name=None,
               input_symbol=None, save_params_from_nd=None)


def test_cli_detects_mxnet(tmp_path):
    """`mo --input_model NAME-0000.params` with no --framework: detected from the files."""
    folder = models_dir()
    result = subprocess.run([sys.executable, "-m", "irforge", "--input_model", str(folder / "resnet18_v1-0000.params"),
                             "--input_shape", "[1,3,64,64]", "--output_dir", str(tmp_path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "resnet18_v1-0000.xml").exists() or (tmp_path / "resnet18_v1.xml").exists()


def test_general_options(tmp_path):
    """--input NAME[shape] (batch 2), --mean_values, --scale_values and --reverse_input_channels through the MXNet
    frontend: feeding x' = reverse(x * scale + mean) must give MXNet's output for x, on both batch rows."""
    import numpy as np

    import irforge
    from check import assert_matches
    from mxnet_oracle import load_case
    from oracles import run_openvino, run_reference
    folder = models_dir()
    _, inputs, expected = load_case(folder, "resnet18_v1")
    (name, out), = expected.items()
    mean, scale = np.array([10.0, 20.0, 30.0], np.float32), np.array([2.0, 4.0, 8.0], np.float32)
    graph = irforge.convert_model(str(folder / "resnet18_v1-0000.params"), input="data[2,3,64,64]",
                                  mean_values="data[10,20,30]", scale_values="data[2,4,8]",
                                  reverse_input_channels=True)
    xml, _ = irforge.save_model(graph, tmp_path / "pre.xml")
    x = inputs["data"]
    fed = (x * scale[None, :, None, None] + mean[None, :, None, None])[:, ::-1]
    batch = np.ascontiguousarray(np.concatenate([fed, fed]))
    for got in (run_openvino(xml, [batch])[0], run_reference(xml, [batch])[0]):
        assert got.shape == (2,) + out.shape[1:]
        for row in got:
            assert_matches(row[None], out, "resnet18_v1 with embedded preprocessing")


def test_cli_nd_flow_names_the_ir_after_the_symbol(tmp_path):
    """`mo --input_symbol NAME-symbol.json --nd_prefix_name ... --pretrained_model_name ...` writes NAME.xml."""
    folder = models_dir()
    result = subprocess.run([sys.executable, "-m", "irforge", "--input_symbol", str(folder / "style_gen-symbol.json"),
                             "--nd_prefix_name", "style", "--pretrained_model_name",
                             str(folder / "style_pretrained-0000.params"), "--input_shape", "[1,3,17,17]",
                             "--output_dir", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "style_gen.xml").exists()
