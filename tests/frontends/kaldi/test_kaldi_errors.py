"""Bad Kaldi input gets one clear error (what, where: file and byte offset) and nothing is written."""
from __future__ import annotations

import numpy as np
import pytest

from irforge.cli.main import mo_main
from kaldi_helpers import CORPUS
from kaldi_models import Writer, rng_matrix, write_nnet1
from nnet3_reference import Net3, identity, relu
from nnet3_reference import affine as ng_affine

rng = np.random.default_rng(5)


def mo_error(model, tmp_path, capsys, *flags) -> str:
    code = mo_main(["--input_model", str(model), "--output_dir", str(tmp_path / "out"), "--framework", "kaldi",
                    *flags])
    err = capsys.readouterr().err
    assert code == 1, err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir()), "a half-written IR was left"
    return err


def small_net() -> Net3:
    net = Net3({"input": 4})
    net.component("a", "Append(Offset(input, -1), input)", ng_affine(rng_matrix(rng, 5, 8), rng_matrix(rng, 1, 5)[0]))
    net.component("r", "a", relu(5))
    net.output("output", "r")
    return net


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_truncated_file(binary, tmp_path, capsys):
    data = small_net().write(binary)
    model = tmp_path / "final.raw"
    model.write_bytes(data[:int(len(data) * 0.7)])
    err = mo_error(model, tmp_path, capsys)
    assert "truncated" in err and "byte offset" in err and str(model) in err


def test_truncated_corpus_model(tmp_path, capsys):
    data = (CORPUS / "lstm_nonlin_10_T34_S1_delay3" / "model.raw").read_bytes()
    model = tmp_path / "model.raw"
    model.write_bytes(data[:700])
    err = mo_error(model, tmp_path, capsys)
    assert "the file ends inside a matrix" in err and "byte offset 595" in err


def test_not_a_kaldi_model(tmp_path, capsys):
    model = tmp_path / "final.mdl"
    model.write_bytes(b"<Model3> \ninput-node name=input dim=4\n")
    err = mo_error(model, tmp_path, capsys)
    assert "not a Kaldi nnet1/nnet2/nnet3 model" in err and "byte offset 0" in err


def test_unknown_nnet1_marker(tmp_path, capsys):
    data = write_nnet1([("Sigmoid", 4)], False).replace(b"<Sigmoid>", b"<Sigmoyd>")
    model = tmp_path / "final.nnet"
    model.write_bytes(data)
    err = mo_error(model, tmp_path, capsys)
    assert "unknown nnet1 component marker '<Sigmoyd>'" in err and "byte offset" in err


def test_unknown_token_where_a_token_is_expected(tmp_path, capsys):
    data = small_net().write(False).replace(b"<NumComponents>", b"<NumComponentz>")
    model = tmp_path / "final.raw"
    model.write_bytes(data)
    err = mo_error(model, tmp_path, capsys)
    assert "expected <NumComponents>, found '<NumComponentz>'" in err and "byte offset" in err


def test_wrong_dims_name_the_component_and_offset(tmp_path, capsys):
    net = Net3({"input": 4})
    net.component("a", "input", ng_affine(rng_matrix(rng, 5, 6), rng_matrix(rng, 1, 5)[0]))  # takes 6, gets 4
    net.output("output", "a")
    model = tmp_path / "final.raw"
    model.write_bytes(net.write(True))
    err = mo_error(model, tmp_path, capsys)
    assert "component 'a' (NaturalGradientAffineComponent)" in err and "takes input dim 6" in err
    assert "gives it 4" in err and "byte offset" in err


def test_nnet1_header_dims_disagree_with_weights(tmp_path, capsys):
    w = Writer(True)
    w.token("<Nnet>").token("<AffineTransform>").int(3).int(5)
    w.token("<LearnRateCoef>").float(1).token("<BiasLearnRateCoef>").float(1).token("<MaxNorm>").float(0)
    w.matrix(rng_matrix(rng, 3, 4)).vector(np.zeros(3)).token("<!EndOfComponent>").token("</Nnet>")
    model = tmp_path / "final.nnet"
    model.write_bytes(w.bytes())
    err = mo_error(model, tmp_path, capsys)
    assert "the header says input dim 5, the weights take 4" in err and "byte offset" in err


def test_every_unsupported_component_in_one_error(tmp_path, capsys):
    net = Net3({"input": 4})
    net.component("stats", "input", identity("StatisticsPoolingComponent", 4))
    net.component("conv", "stats", identity("GruNonlinearityComponent", 4))
    net.component("conv2", "conv", identity("GruNonlinearityComponent", 4))
    net.component("odd", "conv2", identity("MyOwnComponent", 4))
    net.output("output", "odd")
    model = tmp_path / "final.raw"
    model.write_bytes(net.write(False))
    err = mo_error(model, tmp_path, capsys)
    assert "3 unsupported op type(s) (4 node(s))" in err
    for text in ("GruNonlinearityComponent x2", "StatisticsPoolingComponent x1", "MyOwnComponent x1"):
        assert text in err


def test_bad_descriptor(tmp_path, capsys):
    data = small_net().write(False).replace(b"Append(Offset(input, -1), input)", b"Append(Offset(input -1), input)")
    model = tmp_path / "final.raw"
    model.write_bytes(data)
    err = mo_error(model, tmp_path, capsys)
    assert "bad descriptor" in err and "byte offset" in err


def test_node_reading_an_unknown_node(tmp_path, capsys):
    data = small_net().write(False).replace(b"component=r input=a", b"component=r input=b")
    model = tmp_path / "final.raw"
    model.write_bytes(data)
    err = mo_error(model, tmp_path, capsys)
    assert "node 'r' reads 'b', which is not a node of the network" in err


def test_backward_recurrence_cannot_stream(tmp_path, capsys):
    net = Net3({"input": 3})
    net.component("rec", "Append(input, IfDefined(Offset(rec.out, 1)))", ng_affine(rng_matrix(rng, 2, 5),
                                                                                    np.zeros(2, np.float32)))
    net.dim_range("rec.out", "rec", 0, 2)
    net.output("output", "rec.out")
    model = tmp_path / "final.raw"
    model.write_bytes(net.write(False))
    err = mo_error(model, tmp_path, capsys)
    assert "reads future frames" in err and "cannot run as a stream" in err


def test_unknown_output_name(tmp_path, capsys):
    model = tmp_path / "final.raw"
    model.write_bytes(small_net().write(False))
    err = mo_error(model, tmp_path, capsys, "--output", "output-xent")
    assert "--output" in err and "output-xent" in err and "output" in err
