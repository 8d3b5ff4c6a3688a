"""The `mo` command on Caffe files: detection by suffix, --input_proto alone, --k rejected with its reason."""
from __future__ import annotations

import numpy as np

from caffe_oracle import write_net
from irforge.cli.main import mo_main

NET = ('input: "data" input_shape { dim: 1 dim: 2 dim: 4 dim: 4 }\n'
       'layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" '
       'convolution_param { num_output: 3 kernel_size: 3 } }\n'
       'layer { name: "prob" type: "Softmax" bottom: "conv" top: "prob" }\n')


def test_mo_converts_caffe_files(tmp_path, capsys):
    proto, model = write_net(tmp_path, NET, {"conv": [np.ones((3, 2, 3, 3), np.float32), np.zeros(3, np.float32)]})
    assert mo_main(["--input_model", str(model), "--input_proto", str(proto), "--output_dir",
                    str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "net.xml").exists() and (tmp_path / "out" / "net.bin").exists()
    assert mo_main(["--input_proto", str(proto), "--output_dir", str(tmp_path / "topology")]) == 0
    assert (tmp_path / "topology" / "net.xml").exists()
    assert mo_main(["--framework", "caffe", "--input_model", str(model), "--output_dir", str(tmp_path / "x")]) == 0


def test_k_is_rejected_with_the_reason(tmp_path, capsys):
    assert mo_main(["--input_model", "net.caffemodel", "--k", "CustomLayersMapping.xml"]) == 2
    err = capsys.readouterr().err
    assert "--k" in err and "fallback to Caffe" in err and "not supported" in err


def test_missing_prototxt_says_what_to_give(tmp_path, capsys):
    _, model = write_net(tmp_path, NET, {"conv": [np.ones((3, 2, 3, 3), np.float32), np.zeros(3, np.float32)]})
    lonely = tmp_path / "lonely.caffemodel"
    lonely.write_bytes(model.read_bytes())
    assert mo_main(["--input_model", str(lonely), "--output_dir", str(tmp_path / "out")]) == 1
    assert "--input_proto" in capsys.readouterr().err
