"""Output files and reporting: --output_dir, --model_name, --log_level, --silent, --progress, --stream_output,
the legacy short spellings, the flags that are rejected until their feature exists, and the installed `mo`
entry point."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from irforge.cli.main import IGNORED, REJECTED
from irforge.transforms.pipeline import NOT_IMPLEMENTED
from oracles import openvino, run_onnxruntime
from tiny_models import chain, check_ir, conv_relu, ir_files, mo, save

ROOT = Path(__file__).resolve().parents[2]


def test_output_dir_and_model_name(tmp_path):
    path = save(conv_relu(), tmp_path, "resnet_like")
    run = mo(path, tmp_path / "deep" / "folder", name="custom")
    assert run.code == 0, run.err
    assert run.files() == ["custom.bin", "custom.xml"]
    assert openvino().Core().read_model(str(run.xml)).get_friendly_name() == "custom"
    assert str(run.xml) in run.out and "[ SUCCESS ]" in run.out


def test_default_name_is_the_model_stem(tmp_path):
    from irforge.cli.main import mo_main
    path = save(conv_relu(), tmp_path, "my_net")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert mo_main(["-m", str(path), "-o", "out", "--silent"]) == 0  # legacy short spellings
    finally:
        os.chdir(cwd)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["my_net.bin", "my_net.xml"]


@pytest.mark.parametrize("args, words", [
    (["--model_name", "a/b"], ["--model_name", "'a/b'", "without folders"]),
    (["--log_level", "LOUD"], ["--log_level", "invalid choice"]),
])
def test_bad_output_options(tmp_path, args, words):
    run = mo(save(conv_relu(), tmp_path), tmp_path / "ir", *args)
    assert run.code != 0
    assert all(w in run.err for w in words), run.err
    assert ir_files(tmp_path / "ir") == []


def test_output_dir_that_is_a_file(tmp_path):
    (tmp_path / "taken").write_text("not a folder")
    run = mo(save(conv_relu(), tmp_path), tmp_path / "taken")
    assert run.code == 1 and "--output_dir" in run.err and "a folder" in run.err


def test_silent_prints_nothing(tmp_path):
    run = mo(save(conv_relu(), tmp_path), tmp_path / "ir", "--silent", "--log_level", "DEBUG")
    assert run.code == 0 and run.out == "" and run.err == ""
    assert run.xml.exists()


def test_debug_log_lists_the_passes(tmp_path):
    run = mo(save(chain(), tmp_path), tmp_path / "ir", "--log_level", "DEBUG", "--output", "t2")
    assert run.code == 0, run.err
    assert "[ DEBUG ] pass cut_graph" in run.err and "[ DEBUG ] pass fold_constants" in run.err
    quiet = mo(save(chain(), tmp_path), tmp_path / "quiet")
    assert quiet.code == 0 and quiet.err == ""


def test_progress_bar_and_stream_output(tmp_path):
    path = save(chain(), tmp_path)
    bar = mo(path, tmp_path / "bar", "--progress")
    assert bar.code == 0, bar.err
    assert "\r[ PROGRESS ]" in bar.err and "100% (9/9 nodes)" in bar.err
    stream = mo(path, tmp_path / "stream", "--stream_output")
    assert stream.code == 0, stream.err
    lines = [ln for ln in stream.err.splitlines() if ln]
    assert lines[-1].endswith("100% (9/9 nodes)") and all(ln.startswith("[ PROGRESS ]") for ln in lines)
    assert "\r" not in stream.err and 2 <= len(lines) <= 11


VALUES = {"finegrain_fusing": "conv1,.*Scale.*",
          "transformations_config": "x.json"}


@pytest.mark.parametrize("args", [[f"--{flag}"] + ([VALUES[flag]] if flag in VALUES else [])
                                  for flag in NOT_IMPLEMENTED])
def test_flags_without_a_feature_are_rejected(tmp_path, args):
    run = mo(save(conv_relu(), tmp_path), tmp_path / "ir", *args)
    assert run.code == 1
    assert args[0] in run.err and "not implemented yet" in run.err and "drop the flag" in run.err
    assert ir_files(tmp_path / "ir") == []


def test_the_installed_mo_entry_point(tmp_path):
    path = save(chain(), tmp_path)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    ok = subprocess.run([sys.executable, "-m", "irforge", "--input_model", str(path), "--output_dir",
                         str(tmp_path / "ir"), "-n", "cut", "--input", "relu1:0", "--output", "y"],
                        capture_output=True, text=True, env=env, timeout=120)
    assert ok.returncode == 0, ok.stderr
    t2 = np.random.default_rng(0).standard_normal((1, 4, 8, 8)).astype(np.float32)
    from tiny_models import extract
    check_ir(tmp_path / "ir" / "cut.xml", [t2], run_onnxruntime(extract(path, ["t2"], ["y"], tmp_path), [t2]))
    bad = subprocess.run([sys.executable, "-m", "irforge", "--input_model", str(path), "--output_dir",
                          str(tmp_path / "bad"), "--input_shape", "[1,3,x,8]"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert "--input_shape" in bad.stderr and "[1,3,x,8]" in bad.stderr
    assert not (tmp_path / "bad").exists() or ir_files(tmp_path / "bad") == []


@pytest.mark.parametrize("flag", list(REJECTED))
def test_legacy_flags_irforge_does_not_do_are_refused_with_the_reason(tmp_path, flag):
    run = mo(save(conv_relu(), tmp_path), tmp_path / "ir", flag, "x")
    assert run.code == 2 and flag in run.err and REJECTED[flag][:40] in run.err
    assert ir_files(tmp_path / "ir") == []


def test_legacy_flags_that_change_nothing_are_accepted_with_a_note(tmp_path):
    path = save(conv_relu(), tmp_path)
    args = [a for flag, (takes_value, _) in IGNORED.items() for a in ([flag, "/opt/caffe"] if takes_value else [flag])]
    run = mo(path, tmp_path / "ir", *args)
    assert run.code == 0, run.err
    for flag in IGNORED:
        assert f"{flag} changes nothing" in run.err
    x = np.random.default_rng(3).standard_normal((1, 3, 8, 8)).astype(np.float32)
    check_ir(run.xml, [x], run_onnxruntime(conv_relu(), [x]))
    quiet = mo(path, tmp_path / "quiet", "--api_2", "--silent")
    assert quiet.code == 0 and quiet.err == ""
