"""nnet1 networks written by the test (text and binary) from small random weights: the converted IR, run by
`irforge infer` on a Kaldi archive (OpenVINO and reference runtimes) and fed frame by frame, gives what a
numpy implementation of nnet-forward's component maths gives."""
from __future__ import annotations

import numpy as np
import pytest

from irforge.cli.infer import infer_main
from kaldi_helpers import assert_matches_kaldi, convert, kaldi_info, read_text_ark, stream_utterance, write_ark
from kaldi_models import nnet1_forward, random_lstm, rng_matrix, write_nnet1

rng = np.random.default_rng(7)


def dnn():
    dim = 6
    return [
        ("Splice", [-2, -1, 0, 1, 2], dim),
        ("AddShift", rng_matrix(rng, 1, 5 * dim)[0]),
        ("Rescale", (1 + rng_matrix(rng, 1, 5 * dim)[0]).astype(np.float32)),
        ("AffineTransform", rng_matrix(rng, 16, 5 * dim), rng_matrix(rng, 1, 16)[0]),
        ("Sigmoid", 16),
        ("AffineTransform", rng_matrix(rng, 12, 16), rng_matrix(rng, 1, 12)[0]),
        ("Tanh", 12),
        ("Dropout", 12),
        ("LinearTransform", rng_matrix(rng, 8, 12)),
        ("AffineTransform", rng_matrix(rng, 5, 8, 1.0), rng_matrix(rng, 1, 5)[0]),
        ("Softmax", 5),
    ]


def lstm(splice: list[int], cell_clip: float):
    dim = 5
    spliced = dim * len(splice)
    return [
        ("Splice", splice, dim),
        ("AffineTransform", rng_matrix(rng, 8, spliced), rng_matrix(rng, 1, 8)[0]),
        ("LstmProjected", random_lstm(rng, 8, cell=6, proj=4, cell_clip=cell_clip)),
        ("AffineTransform", rng_matrix(rng, 7, 4, 1.0), rng_matrix(rng, 1, 7)[0]),
        ("Softmax", 7),
    ]


def parallel():
    return [
        ("ParallelComponent", [
            [("AffineTransform", rng_matrix(rng, 5, 4), rng_matrix(rng, 1, 5)[0]), ("Sigmoid", 5)],
            [("Splice", [-1, 0, 1], 3), ("Copy", [9, 1, 5, 2], 9)],
        ], 7, 9),
        ("AffineTransform", rng_matrix(rng, 6, 9, 1.0), rng_matrix(rng, 1, 6)[0]),
        ("Softmax", 6),
    ]


MODELS = {
    "dnn": (dnn, 6),
    "lstm": (lambda: lstm([0], 50.0), 5),
    "lstm_after_splice_clipped": (lambda: lstm([-2, -1, 0, 1], 0.3), 5),
    "parallel": (parallel, 7),
}


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
@pytest.mark.parametrize("name", list(MODELS))
def test_nnet1_against_numpy(name, binary, tmp_path):
    make, dim = MODELS[name]
    components = make()
    model = tmp_path / "final.nnet"
    model.write_bytes(write_nnet1(components, binary))
    xml = convert(model, tmp_path)
    utterances = {"utt1": rng_matrix(rng, 23, dim, 1.0), "utt2": rng_matrix(rng, 4, dim, 1.0),
                  "utt3": rng_matrix(rng, 1, dim, 1.0)}
    ark = tmp_path / "feats.ark"
    write_ark(ark, utterances)
    for device in ("CPU", "reference"):
        out = tmp_path / f"out.{device}.ark"
        assert infer_main([str(xml), "--input", str(ark), "--output", str(out), "--device", device]) == 0
        got = read_text_ark(out)
        for key, x in utterances.items():
            assert_matches_kaldi(got[key], nnet1_forward(components, x), f"{name} {key} on {device}")
    x = utterances["utt1"]
    assert_matches_kaldi(stream_utterance(xml, x, "CPU"), nnet1_forward(components, x), f"{name} streamed")


def test_nnet1_context_in_rt_info(tmp_path):
    model = tmp_path / "final.nnet"
    model.write_bytes(write_nnet1(lstm([-2, -1, 0, 1], 50.0), True))
    info = kaldi_info(convert(model, tmp_path))
    assert (info["left_context"], info["right_context"], info["output_delay"]) == (2, 1, 1)


def test_nnet1_without_nnet_header(tmp_path):
    """nnet1 feature transforms are often written without <Nnet> ... </Nnet>."""
    components = [("Splice", [-1, 0, 1], 4), ("AddShift", rng_matrix(rng, 1, 12)[0])]
    model = tmp_path / "final.feature_transform"
    model.write_bytes(write_nnet1(components, False, header=False))
    xml = convert(model, tmp_path, "--framework", "kaldi")
    x = rng_matrix(rng, 9, 4, 1.0)
    assert_matches_kaldi(stream_utterance(xml, x, "reference"), nnet1_forward(components, x), "no header")
