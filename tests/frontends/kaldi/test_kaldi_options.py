"""The Kaldi conversion options: --counts (file forms), --remove_output_softmax, --batch / --input_shape, and the
runner's --frames-per-chunk, each against the numpy nnet3 reference."""
from __future__ import annotations

import numpy as np
import pytest

from irforge.cli.infer import infer_main
from kaldi_helpers import assert_matches_kaldi, convert, kaldi_info, read_text_ark, stream_utterance, write_ark
from kaldi_models import Writer, rng_matrix
from nnet3_reference import Net3, log_softmax, relu, softmax_c
from nnet3_reference import affine as ng_affine
from test_kaldi_nnet3 import tdnn_lstm

rng = np.random.default_rng(9)


def classifier(final) -> Net3:
    net = Net3({"input": 5})
    net.component("hidden", "Append(Offset(input, -1), input, Offset(input, 1))",
                  ng_affine(rng_matrix(rng, 8, 15), rng_matrix(rng, 1, 8)[0]))
    net.component("relu", "hidden", relu(8))
    net.component("logits", "relu", ng_affine(rng_matrix(rng, 4, 8, 1.0), rng_matrix(rng, 1, 4)[0]))
    if final is None:
        net.output("output", "logits")
    else:
        net.component("final", "logits", final(4))
        net.output("output", "final")
    return net


def logits_of(net: Net3, x: np.ndarray) -> np.ndarray:
    probe = Net3(net.inputs, list(net.lines), dict(net.nodes), {"output": "logits"})
    return probe.compute({"input": x})


COUNTS = np.array([30.0, 0.0, 50.0, 20.0])  # a zero count: the legacy floor makes its class very unlikely


def log_priors() -> np.ndarray:
    counts = np.maximum(COUNTS, 1.00000001e-10)
    priors = np.log(counts / counts.sum())
    priors[COUNTS < 1.00000001e-10] += np.finfo(np.float32).max / 2
    return priors


@pytest.mark.parametrize("form", ["one_line", "kaldi_text", "kaldi_binary"])
def test_counts_file_on_a_linear_output(form, tmp_path):
    net = classifier(None)
    model = tmp_path / "final.raw"
    model.write_bytes(net.write(True))
    counts = tmp_path / "counts"
    if form == "one_line":
        counts.write_text(" ".join(str(c) for c in COUNTS))
    elif form == "kaldi_text":
        counts.write_text("[ " + " ".join(str(c) for c in COUNTS) + " ]\n")
    else:
        counts.write_bytes(Writer(True).vector(COUNTS).bytes())
    xml = convert(model, tmp_path, "--counts", str(counts))
    x = rng_matrix(rng, 7, 5, 1.0)
    got = stream_utterance(xml, x, "CPU")
    want = logits_of(net, x) - log_priors()
    keep = COUNTS > 0  # the floored class sits near -3.4e38: compare it by sign and size only
    assert_matches_kaldi(got[:, keep], want[:, keep], "counts")
    assert np.all(got[:, ~keep] < -1e37)


def test_counts_go_before_an_output_softmax(tmp_path):
    net = classifier(lambda d: softmax_c(d))
    model = tmp_path / "final.raw"
    model.write_bytes(net.write(False))
    counts = tmp_path / "counts"
    counts.write_text("[ 30 10 50 20 ]")
    xml = convert(model, tmp_path, "--counts", str(counts))
    x = rng_matrix(rng, 6, 5, 1.0)
    z = logits_of(net, x) - np.log(np.array([30, 10, 50, 20]) / 110)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    assert_matches_kaldi(stream_utterance(xml, x, "reference"), e / e.sum(axis=1, keepdims=True), "counts+softmax")


def test_counts_of_the_wrong_size(tmp_path, capsys):
    from irforge.cli.main import mo_main
    model = tmp_path / "final.raw"
    model.write_bytes(classifier(None).write(False))
    counts = tmp_path / "counts"
    counts.write_text("1 2 3")
    assert mo_main(["--input_model", str(model), "--output_dir", str(tmp_path), "--counts", str(counts)]) == 1
    assert "--counts has 3 classes, the output has 4" in capsys.readouterr().err


@pytest.mark.parametrize("final", [softmax_c, log_softmax], ids=["softmax", "log_softmax"])
def test_remove_output_softmax(final, tmp_path):
    net = classifier(final)
    model = tmp_path / "final.raw"
    model.write_bytes(net.write(True))
    xml = convert(model, tmp_path, "--remove_output_softmax")
    import irforge
    assert not any(n.op.TYPE in ("SoftMax", "LogSoftmax") for n in irforge.read_model(xml).nodes)
    x = rng_matrix(rng, 8, 5, 1.0)
    assert_matches_kaldi(stream_utterance(xml, x, "CPU"), logits_of(net, x), "softmax removed")


def test_batch_sets_frames_per_inference(tmp_path):
    net = classifier(lambda d: softmax_c(d))
    model = tmp_path / "final.raw"
    model.write_bytes(net.write(True))
    xml = convert(model, tmp_path, "--batch", "3")
    assert kaldi_info(xml)["frames_per_inference"] == 3
    x = rng_matrix(rng, 10, 5, 1.0)
    for device in ("CPU", "reference"):
        assert_matches_kaldi(stream_utterance(xml, x, device, frames=3), net.compute({"input": x}), device)


def test_frames_per_chunk_restarts_the_recurrence(tmp_path):
    """--frames-per-chunk F: each chunk starts from zero state with its left context cut from the utterance
    (edge copies only at the utterance's ends), as nnet3-compute computes chunks."""
    net = tdnn_lstm(-1)
    model = tmp_path / "final.raw"
    model.write_bytes(net.write(True))
    xml = convert(model, tmp_path)
    lc, rc = net.context("output")
    x = rng_matrix(rng, 19, 5, 1.0)
    ark = tmp_path / "feats.ark"
    write_ark(ark, {"u": x})
    chunk, extra = 8, 2
    expected = []
    for start in range(0, len(x), chunk):
        length = min(chunk, len(x) - start)
        left = lc + extra
        window = x[np.clip(np.arange(start - left, start + length + rc), 0, len(x) - 1)]
        expected.append(net.compute({"input": window}, frames=range(left, left + length), pad=False))
    out = tmp_path / "out.ark"
    assert infer_main([str(xml), "--input", str(ark), "--output", str(out), "--device", "CPU",
                       "--frames-per-chunk", str(chunk), "--extra-left-context", str(extra)]) == 0
    assert_matches_kaldi(read_text_ark(out)["u"], np.concatenate(expected), "chunked")
    whole = tmp_path / "whole.ark"
    assert infer_main([str(xml), "--input", str(ark), "--output", str(whole), "--device", "CPU"]) == 0
    assert not np.allclose(read_text_ark(whole)["u"], np.concatenate(expected), atol=1e-4), \
        "chunking made no difference: the test would not notice a runner that ignores it"


def test_output_at_an_inner_node_and_frozen_ivector(tmp_path):
    """--output NODE cuts the network at any node; freezing an i-vector input to a value (the API's
    freeze_placeholder_with_value) repeats its one row on every frame."""
    net = Net3({"input": 4, "ivector": 2})
    net.component("affine", "Append(Offset(input, -1), input, ivector)", ng_affine(rng_matrix(rng, 6, 10),
                                                                                   rng_matrix(rng, 1, 6)[0]))
    net.component("relu", "affine", relu(6))
    net.component("final", "Offset(relu, 2)", ng_affine(rng_matrix(rng, 3, 6), rng_matrix(rng, 1, 3)[0]))
    net.output("output", "final")
    model = tmp_path / "final.raw"
    model.write_bytes(net.write(True))
    import irforge
    graph = irforge.convert_model(model, output="relu",
                                  freeze_placeholder_with_value={"ivector": np.array([0.5, -1.0], np.float32)})
    xml, _ = irforge.save_model(graph, tmp_path / "cut.xml")
    graph = irforge.read_model(xml)
    assert [p.name for p in graph.parameters] == ["input"]
    x = rng_matrix(rng, 7, 4, 1.0)
    probe = Net3(net.inputs, [l for l in net.lines if not l.startswith("output-node")], dict(net.nodes), {})
    probe.output("output", "relu")
    want = probe.compute({"input": x, "ivector": np.tile([0.5, -1.0], (7, 1))})
    assert_matches_kaldi(stream_utterance(xml, x, "CPU"), want, "inner output, frozen i-vector")
