"""nnet3 networks of the shapes real recipes use (TDNN-F with BatchNorm/Linear/Tdnn/bypass, TDNN-LSTM whose
recurrence starts after left context, descriptor forms), written by the test in text and binary: the IR
matches nnet3_reference (a numpy nnet3-compute) through `irforge infer` and frame by frame."""
from __future__ import annotations

import numpy as np
import pytest

from irforge.cli.infer import infer_main
from kaldi_helpers import assert_matches_kaldi, convert, kaldi_info, read_text_ark, stream_utterance, write_ark
from kaldi_models import rng_matrix
from nnet3_reference import (Net3, backprop_truncation, batch_norm, composite, constant, dropout_mask, dropout, elementwise_product, fixed_affine, identity, linear,
                             log_softmax, lstm_nonlinearity, maxpooling, normalize, per_element_offset,
                             per_element_scale, permute, pnorm, relu, scale_and_offset, sigmoid_c, softmax_c,
                             restricted_attention, sum_group, tanh_c, tdnn, time_height_convolution)
from nnet3_reference import affine as ng_affine

rng = np.random.default_rng(3)


def vec(n, scale=0.3):
    return rng_matrix(rng, 1, n, scale)[0]


def tdnnf() -> Net3:
    net = Net3({"input": 8})
    net.component("lda", "Append(Offset(input, -1), input, Offset(input, 1))", fixed_affine(rng_matrix(rng, 12, 24),
                                                                                            vec(12)))
    net.component("tdnn1.affine", "lda", ng_affine(rng_matrix(rng, 16, 12), vec(16)))
    net.component("tdnn1.relu", "tdnn1.affine", relu(16))
    net.component("tdnn1.batchnorm", "tdnn1.relu", batch_norm(16, 16, vec(16), 0.5 + rng.random(16)))
    net.component("tdnnf2.linear", "tdnn1.batchnorm", tdnn([-1, 0], rng_matrix(rng, 6, 32)))
    net.component("tdnnf2.affine", "tdnnf2.linear", tdnn([0, 1], rng_matrix(rng, 16, 12), vec(16)))
    net.component("tdnnf2.relu", "tdnnf2.affine", relu(16))
    net.component("tdnnf2.batchnorm", "tdnnf2.relu", batch_norm(16, 8, vec(8), 0.5 + rng.random(8), 1e-3, 0.8))
    net.component("tdnnf2.dropout", "tdnnf2.batchnorm", identity("GeneralDropoutComponent", 16, **{
        "<BlockDim>": 16, "<TimePeriod>": 0, "<DropoutProportion>": 0.5, "<Continuous>": True}))
    net.component("tdnnf2.noop", "Sum(Scale(0.66, tdnn1.batchnorm), tdnnf2.dropout)", identity("NoOpComponent", 16))
    net.component("prefinal.linear", "tdnnf2.noop", linear(rng_matrix(rng, 10, 16)))
    net.component("prefinal.scale", "prefinal.linear",
                  scale_and_offset(10, np.array([0.5, 1e-6, -2, 1, 1, 0.3, -1e-5, 2, 1, 1], np.float32), vec(10)))
    net.component("output.affine", "prefinal.scale", ng_affine(rng_matrix(rng, 6, 10, 1.0), vec(6)))
    net.component("output.log-softmax", "output.affine", log_softmax(6))
    net.output("output", "output.log-softmax")
    net.component("xent.scale", "prefinal.linear", per_element_scale(vec(10, 1.0)))
    net.component("xent.softmax", "Offset(xent.scale, -1)", softmax_c(10, block=5))
    net.output("output-xent", "xent.softmax")
    return net


def misc() -> Net3:
    net = Net3({"input": 6})
    net.component("norm", "Append(input, Const(0.5, 2))", normalize(8, 0.7, True, block=4))
    net.component("grow", "norm", ng_affine(rng_matrix(rng, 12, 10), vec(12), natural=False))
    net.component("pnorm", "grow", pnorm(12, 4, 3.0))
    net.component("product", "Append(grow, Offset(grow, -2))", elementwise_product(24, 12))
    net.component("groups", "product", sum_group([3, 5, 4]))
    net.component("mix", "Append(pnorm, groups, Failover(Offset(input, -3), input))", permute(
        list(rng.permutation(13))))
    net.component("drop", "mix", dropout(13, 0.2))
    net.component("shift", "drop", per_element_offset(vec(13), 13))
    net.component("squash", "shift", sigmoid_c(13))
    net.component("squash2", "Sum(squash, Offset(squash, 1))", tanh_c(13))
    net.component("composite", "squash2", composite(ng_affine(rng_matrix(rng, 7, 13), vec(7)), relu(7),
                                                    per_element_scale(vec(7, 1.0))))
    net.component("bias", "input", constant(vec(7, 1.0)))
    net.output("output", "Sum(composite, bias)")
    return net


def tdnn_lstm(delay: int = -2, dropout: bool = False) -> Net3:
    """The LSTM reads the TDNN layer, which needs 2 frames of left context: in Kaldi its recurrence starts at
    the first frame the TDNN can compute, so the stream must zero it until then (the frame counter's job)."""
    cell, proj = 5, 3
    net = Net3({"input": 5})
    net.component("tdnn1", "Append(Offset(input, -2), input, Offset(input, 2))",
                  ng_affine(rng_matrix(rng, 9, 15), vec(9)))
    net.component("tdnn1.relu", "tdnn1", relu(9))
    net.component("lstm.W_all", f"Append(tdnn1.relu, IfDefined(Offset(lstm.r, {delay})))",
                  ng_affine(rng_matrix(rng, 4 * cell, 9 + proj), vec(4 * cell)))
    if dropout:   # per-frame LSTM dropout scales, constant at test time
        net.component("lstm.dropout_mask", "input", dropout_mask(3, 0.3))
    mask = ", lstm.dropout_mask" if dropout else ""
    net.component("lstm.nonlin", f"Append(lstm.W_all, IfDefined(Offset(lstm.c, {delay})){mask})",
                  lstm_nonlinearity(rng_matrix(rng, 3, cell), dropout))
    net.dim_range("lstm.c", "lstm.nonlin", 0, cell)
    net.dim_range("lstm.m", "lstm.nonlin", cell, cell)
    net.component("lstm.rp", "lstm.m", ng_affine(rng_matrix(rng, proj, cell), vec(proj)))
    net.component("lstm.r", "lstm.rp", backprop_truncation(proj, 0.8))  # decay-time scales the recurrence
    net.component("output.affine", "Append(lstm.rp, Offset(lstm.rp, 1))",
                  ng_affine(rng_matrix(rng, 4, 2 * proj, 1.0), vec(4)))
    net.output("output", "output.affine")
    return net


def cnn_tdnn() -> Net3:
    """CNN layers as the cnn-tdnn recipes write them: height 8 x 2 filters in, 3x3 patches with zero padding in
    height, and in time on the past side (time offset -1 not required: zeros before the utterance), a 2x height
    subsampling layer, then max-pooling."""
    f_in, h_in = 2, 8
    patch = [(t, h) for t in (-1, 0, 1) for h in (-1, 0, 1)]
    net = Net3({"input": f_in * h_in})
    net.component("cnn1", "input", time_height_convolution(f_in, 3, h_in, h_in, 1, patch, [0, 1],
                                                           rng_matrix(rng, 3, 9 * f_in), vec(3)))
    net.component("cnn1.relu", "cnn1", relu(3 * h_in))
    sub_patch = [(t, h) for t in (-2, 0, 2) for h in (0, 1, 2)]
    net.component("cnn2", "cnn1.relu", time_height_convolution(3, 4, h_in, 3, 2, sub_patch, [-2, 0, 2],
                                                                rng_matrix(rng, 4, 9 * 3), vec(4)))
    net.component("pool", "cnn2", maxpooling([3, 2, 2], [2, 1, 2], [1, 1, 2]))
    net.component("out", "Append(pool, Offset(pool, 1))", ng_affine(rng_matrix(rng, 5, 8, 1.0), vec(5)))
    net.output("output", "out")
    return net


def attention() -> Net3:
    """tdnn-attention layers: 2 heads, key 3, value 4, 3 frames left (1 required: earlier ones zero-padded at
    the start) and 2 right at stride 2, with and without the context weights in the output."""
    heads, key, value, left, right = 2, 3, 4, 3, 2
    per_head = 2 * key + value + left + 1 + right
    net = Net3({"input": 5})
    net.component("affine", "Append(Offset(input, -1), input)", ng_affine(rng_matrix(rng, heads * per_head, 10),
                                                                          vec(heads * per_head)))
    net.component("attention", "affine", restricted_attention(heads, key, value, left, right, 2, 1, right, True,
                                                              0.5))
    out_dim = heads * (value + left + 1 + right)
    net.component("attention2", "attention", restricted_attention(1, 2, out_dim - 2 * 2 - 3, 1, 1, 1, 1, 1, False,
                                                                   0.7))
    net.output("output", "attention2")
    return net


MODELS = {"tdnnf": tdnnf, "misc": misc, "tdnn_lstm": tdnn_lstm, "cnn_tdnn": cnn_tdnn, "attention": attention,
          "lstm_dropout": lambda: tdnn_lstm(-1, dropout=True)}


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
@pytest.mark.parametrize("name", list(MODELS))
def test_nnet3_against_numpy(name, binary, tmp_path):
    net = MODELS[name]()
    model = tmp_path / "final.raw"
    model.write_bytes(net.write(binary))
    xml = convert(model, tmp_path)
    info = kaldi_info(xml)
    assert (info["left_context"], info["right_context"]) == net.context("output")
    dim = net.inputs["input"]
    utterances = {"long": rng_matrix(rng, 26, dim, 1.0), "short": rng_matrix(rng, 3, dim, 1.0)}
    ark = tmp_path / "feats.ark"
    write_ark(ark, utterances)
    expected = {k: net.compute({"input": x}) for k, x in utterances.items()}
    for device in ("CPU", "reference"):
        out = tmp_path / f"out.{device}.ark"
        assert infer_main([str(xml), "--input", str(ark), "--output", str(out), "--device", device]) == 0
        got = read_text_ark(out)
        for key in utterances:
            assert_matches_kaldi(got[key], expected[key], f"{name} {key} on {device}")
    x = utterances["long"]
    assert_matches_kaldi(stream_utterance(xml, x, "CPU"), expected["long"], f"{name} streamed")


def test_second_output_by_name(tmp_path):
    """--output output-xent converts that output (nnet3-compute's default output is "output")."""
    net = tdnnf()
    model = tmp_path / "final.raw"
    model.write_bytes(net.write(True))
    xml = convert(model, tmp_path, "--output", "output-xent")
    x = rng_matrix(rng, 12, 8, 1.0)
    assert_matches_kaldi(stream_utterance(xml, x, "CPU"), net.compute({"input": x}, "output-xent"), "xent")


def test_recurrence_two_frames_per_inference(tmp_path):
    """The recurrence looks 2 frames back, so two frames per inference stream exactly (gating included)."""
    net = tdnn_lstm(-2)
    model = tmp_path / "final.raw"
    model.write_bytes(net.write(True))
    xml = convert(model, tmp_path, "--input_shape", "[2,5]")
    x = rng_matrix(rng, 15, 5, 1.0)
    for device in ("CPU", "reference"):
        assert_matches_kaldi(stream_utterance(xml, x, device, frames=2), net.compute({"input": x}),
                             f"2 frames per inference on {device}")


def test_remove_memory_feeds_state_by_hand(tmp_path):
    """--remove_memory: every history becomes an input and an output; the runner carries them itself."""
    net = tdnn_lstm(-1)
    model = tmp_path / "final.raw"
    model.write_bytes(net.write(False))
    xml = convert(model, tmp_path, "--remove_memory")
    import irforge
    graph = irforge.read_model(xml)
    assert not graph.sinks and len(graph.parameters) > 1 and len(graph.results) == len(graph.parameters)
    utterances = {"u": rng_matrix(rng, 10, 5, 1.0)}
    ark = tmp_path / "feats.ark"
    write_ark(ark, utterances)
    for device in ("CPU", "reference"):
        out = tmp_path / f"out.{device}.ark"
        assert infer_main([str(xml), "--input", str(ark), "--output", str(out), "--device", device]) == 0
        assert_matches_kaldi(read_text_ark(out)["u"], net.compute({"input": utterances["u"]}),
                             f"remove_memory on {device}")


def test_ivector_input(tmp_path):
    """A second input node fed through ReplaceIndex(ivector, t, 0) (chain TDNN-F recipes): `--ivectors`
    gives each utterance's vector to every frame, which is what Kaldi computes for a per-utterance i-vector."""
    net = Net3({"input": 4, "ivector": 3})
    net.component("affine", "Append(Offset(input, -1), input, ReplaceIndex(ivector, t, 0))",
                  ng_affine(rng_matrix(rng, 5, 11), vec(5)))
    net.component("relu", "affine", relu(5))
    net.output("output", "relu")
    model = tmp_path / "final.raw"
    model.write_bytes(net.write(True))
    xml = convert(model, tmp_path)
    utterances = {"a": rng_matrix(rng, 9, 4, 1.0), "b": rng_matrix(rng, 5, 4, 1.0)}
    vectors = {"a": vec(3, 1.0), "b": vec(3, 1.0)}
    ark, iv = tmp_path / "feats.ark", tmp_path / "ivectors.ark"
    write_ark(ark, utterances)
    iv.write_text("".join(f"{k}  [ {' '.join(repr(float(v)) for v in vectors[k])} ]\n" for k in vectors))
    for device in ("CPU", "reference"):
        out = tmp_path / f"out.{device}.ark"
        assert infer_main([str(xml), "--input", str(ark), "--ivectors", str(iv), "--output", str(out),
                           "--device", device]) == 0
        got = read_text_ark(out)
        for key, x in utterances.items():
            ivector = np.tile(vectors[key], (len(x), 1))
            reference = Net3({"input": 4, "ivector": 3}, list(net.lines), dict(net.nodes), dict(net.outputs))
            reference.nodes["affine"] = ("component", ("Append", [("Offset", ("node", "input"), -1),
                                                                  ("node", "input"), ("node", "ivector")]),
                                         net.nodes["affine"][2])
            want = reference.compute({"input": x, "ivector": ivector})
            assert_matches_kaldi(got[key], want, f"i-vector model {key} on {device}")
    assert infer_main([str(xml), "--input", str(ark), "--output", str(tmp_path / "x.ark")]) == 1


def test_outputs_share_one_delay(tmp_path):
    """Two outputs with different context (output-xent reads one more past frame): the IR's context covers
    both, and both come out with its single output_delay."""
    net = tdnnf()
    model = tmp_path / "final.raw"
    model.write_bytes(net.write(True))
    xml = convert(model, tmp_path, "--output", "output,output-xent")
    import irforge
    from kaldi_helpers import Streamer
    info = kaldi_info(xml)
    x = rng_matrix(rng, 14, 8, 1.0)
    lc, delay = info["left_context"], info["output_delay"]
    steps = lc + len(x) + delay
    padded = x[np.clip(np.arange(steps) - lc, 0, len(x) - 1)]
    s = Streamer(xml, "CPU")
    s.reset()
    rows = [s.feed(padded[i:i + 1]) for i in range(steps)]
    assert len(irforge.read_model(xml).results) == 2
    assert lc == max(net.context("output")[0], net.context("output-xent")[0]) == 3
    for k, name in enumerate(["output", "output-xent"]):
        got = np.concatenate([r[k] for r in rows])[lc + delay:]
        assert_matches_kaldi(got, net.compute({"input": x}, name), name)
