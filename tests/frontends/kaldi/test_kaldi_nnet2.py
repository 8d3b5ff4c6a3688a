"""nnet2 final.mdl files written by the test (transition model, nnet, priors; text and binary) from small
random networks: the IR matches a numpy implementation of nnet2's chunk computation (input padded by the total
splice context, every SpliceComponent shortening the chunk)."""
from __future__ import annotations

import numpy as np
import pytest

from irforge.cli.infer import infer_main
from kaldi_helpers import assert_matches_kaldi, convert, kaldi_info, read_text_ark, stream_utterance, write_ark
from kaldi_models import nnet2_context, nnet2_forward, rng_matrix, write_nnet2

rng = np.random.default_rng(11)


def pnorm_net():
    """The wsj nnet5 shape: splice, LDA (FixedAffine), then affine + p-norm + normalize blocks, softmax."""
    return [
        ("Splice", 6, [-2, -1, 0, 1, 2], 0),
        ("FixedAffine", rng_matrix(rng, 20, 30), rng_matrix(rng, 1, 20)[0]),
        ("AffinePreconditionedOnline", rng_matrix(rng, 24, 20), rng_matrix(rng, 1, 24)[0]),
        ("Pnorm", 24, 6, 2.0),
        ("Normalize", 6),
        ("Splice", 6, [-1, 0, 1], 0),
        ("Affine", rng_matrix(rng, 12, 18), rng_matrix(rng, 1, 12)[0]),
        ("Pnorm", 12, 4, 3.0),
        ("Normalize", 4),
        ("AffinePreconditionedOnline", rng_matrix(rng, 5, 4, 1.0), rng_matrix(rng, 1, 5)[0]),
        ("Softmax", 5),
    ]


def activations_net():
    """Sigmoid / Tanh / ReLU, fixed scale and bias, and a splice with a constant part (an i-vector)."""
    return [
        ("Splice", 7, [-1, 0, 2], 3),
        ("FixedScale", (1 + rng_matrix(rng, 1, 15)[0]).astype(np.float32)),
        ("FixedBias", rng_matrix(rng, 1, 15)[0]),
        ("Affine", rng_matrix(rng, 10, 15), rng_matrix(rng, 1, 10)[0]),
        ("Sigmoid", 10),
        ("Affine", rng_matrix(rng, 9, 10), rng_matrix(rng, 1, 9)[0]),
        ("Tanh", 9),
        ("Affine", rng_matrix(rng, 8, 9), rng_matrix(rng, 1, 8)[0]),
        ("RectifiedLinear", 8),
        ("Affine", rng_matrix(rng, 3, 8, 1.0), rng_matrix(rng, 1, 3)[0]),
        ("Softmax", 3),
    ]


MODELS = {"pnorm": (pnorm_net, 6), "activations": (activations_net, 7)}


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
@pytest.mark.parametrize("name", list(MODELS))
def test_nnet2_against_numpy(name, binary, tmp_path):
    make, dim = MODELS[name]
    components = make()
    model = tmp_path / "final.mdl"
    model.write_bytes(write_nnet2(components, binary, priors=np.full(components[-1][1], 0.2, np.float32)))
    xml = convert(model, tmp_path)
    info = kaldi_info(xml)
    assert (info["left_context"], info["right_context"]) == nnet2_context(components)
    utterances = {"a": rng_matrix(rng, 17, dim, 1.0), "b": rng_matrix(rng, 2, dim, 1.0)}
    ark = tmp_path / "feats.ark"
    write_ark(ark, utterances)
    for device in ("CPU", "reference"):
        out = tmp_path / f"out.{device}.ark"
        assert infer_main([str(xml), "--input", str(ark), "--output", str(out), "--device", device]) == 0
        got = read_text_ark(out)
        for key, x in utterances.items():
            assert_matches_kaldi(got[key], nnet2_forward(components, x), f"{name} {key} on {device}")
    x = utterances["a"]
    assert_matches_kaldi(stream_utterance(xml, x, "CPU"), nnet2_forward(components, x), f"{name} streamed")


def test_raw_nnet2_without_transition_model(tmp_path):
    components = pnorm_net()
    model = tmp_path / "raw.nnet"
    model.write_bytes(write_nnet2(components, True, transition_model=False))
    xml = convert(model, tmp_path, "--framework", "kaldi")
    x = rng_matrix(rng, 11, 6, 1.0)
    assert_matches_kaldi(stream_utterance(xml, x, "reference"), nnet2_forward(components, x), "raw nnet2")


def test_counts_from_the_model_priors(tmp_path):
    """--counts "" takes the AmNnet priors of final.mdl: log priors are subtracted before the softmax, as the
    legacy converter does (so the output is softmax(logits - log prior))."""
    components = activations_net()
    priors = np.array([0.5, 0.3, 0.2], np.float32)
    model = tmp_path / "final.mdl"
    model.write_bytes(write_nnet2(components, False, priors=priors))
    xml = convert(model, tmp_path, "--counts", "")
    x = rng_matrix(rng, 9, 7, 1.0)
    shifted = nnet2_forward(components[:-1], x) - np.log(priors / priors.sum())
    e = np.exp(shifted - shifted.max(axis=1, keepdims=True))
    assert_matches_kaldi(stream_utterance(xml, x, "CPU"), e / e.sum(axis=1, keepdims=True), "counts")
