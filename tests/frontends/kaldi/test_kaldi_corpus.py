"""The real nnet3 models of ../shared/corpus/kaldi with the output Kaldi's own nnet3-compute gave:
`irforge infer` on the converted IR reproduces it through the OpenVINO runtime and the reference runtime, and
so does feeding the IR frame by frame (the streaming contract: frame t comes out output_delay steps after it
went in, after left_context copies of the first frame)."""
from __future__ import annotations

import numpy as np
import pytest

from irforge.cli.infer import infer_main
from kaldi_helpers import (CORPUS, assert_matches_kaldi, convert, kaldi_info, read_text_ark, stream_utterance,
                           var)

CASES = sorted(p for p in CORPUS.glob("*") if (p / "model.raw").exists()) if CORPUS.is_dir() else []
pytestmark = pytest.mark.skipif(not CASES, reason=f"no Kaldi corpus at {CORPUS}")


def subsampling(case) -> int:
    return int((case / "subsampling").read_text().strip() or 1)


def case_ids(cases):
    return [c.name for c in cases]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_irforge_infer_reproduces_nnet3_compute(case, tmp_path):
    xml = convert(case / "model.raw", tmp_path)
    ref = read_text_ark(case / "output.ark")
    for device in ("CPU", "reference"):
        out = tmp_path / f"out.{device}.ark"
        args = [str(xml), "--input", str(case / "input.ark"), "--output", str(out), "--device", device,
                "--frame-subsampling-factor", str(subsampling(case))]
        assert infer_main(args) == 0
        got = read_text_ark(out)
        assert got.keys() == ref.keys()
        for key in ref:
            assert_matches_kaldi(got[key], ref[key], f"{case.name} {device}")


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_frame_by_frame_stream_and_context(case, tmp_path):
    """The test feeds the IR itself, one frame per inference, on both runtimes; the context in the IR's
    rt_info is the one Kaldi reports for the model (vars.sh)."""
    xml = convert(case / "model.raw", tmp_path)
    info = kaldi_info(xml)
    assert (info["left_context"], info["right_context"]) == (var(case, "left_context"), var(case, "right_context"))
    assert info["output_delay"] >= info["right_context"]
    x = next(iter(read_text_ark(case / "input.ark").values())).astype(np.float32)
    ref = next(iter(read_text_ark(case / "output.ark").values()))
    for device in ("CPU", "reference"):
        got = stream_utterance(xml, x, device)[::subsampling(case)]
        assert_matches_kaldi(got, ref, f"{case.name} streamed on {device}")


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_text_model_converts_like_binary(case, tmp_path):
    """model.raw.txt (Kaldi's text form of the same model) gives the same outputs."""
    xml = convert(case / "model.raw.txt", tmp_path, name="text")
    x = next(iter(read_text_ark(case / "input.ark").values())).astype(np.float32)
    ref = next(iter(read_text_ark(case / "output.ark").values()))
    assert_matches_kaldi(stream_utterance(xml, x, "reference")[::subsampling(case)], ref, f"{case.name} text")


NON_RECURRENT = [c for c in CASES if not c.name.startswith("lstm")]


@pytest.mark.parametrize("case", NON_RECURRENT, ids=case_ids(NON_RECURRENT))
def test_several_frames_per_inference(case, tmp_path):
    """--input_shape [4,D]: four frames per inference, same outputs (and the runner handles the padding)."""
    dim = next(iter(read_text_ark(case / "input.ark").values())).shape[1]
    xml = convert(case / "model.raw", tmp_path, "--input_shape", f"[4,{dim}]")
    assert kaldi_info(xml)["frames_per_inference"] == 4
    x = next(iter(read_text_ark(case / "input.ark").values())).astype(np.float32)
    ref = next(iter(read_text_ark(case / "output.ark").values()))
    for device in ("CPU", "reference"):
        assert_matches_kaldi(stream_utterance(xml, x, device, frames=4)[::subsampling(case)], ref,
                             f"{case.name}, 4 frames per inference on {device}")
    out = tmp_path / "out.ark"
    assert infer_main([str(xml), "--input", str(case / "input.ark"), "--output", str(out), "--device", "CPU",
                       "--frame-subsampling-factor", str(subsampling(case))]) == 0
    assert_matches_kaldi(next(iter(read_text_ark(out).values())), ref, f"{case.name} runner, 4 frames")


def test_recurrence_allows_as_many_frames_as_its_delay(tmp_path):
    """lstm_nonlin_..._delay3 recurs 3 frames back: 3 frames per inference still stream exactly; 4 cannot (a
    frame would need a value computed in the same inference) and the error says so."""
    case = CORPUS / "lstm_nonlin_10_T34_S1_delay3"
    x = next(iter(read_text_ark(case / "input.ark").values())).astype(np.float32)
    ref = next(iter(read_text_ark(case / "output.ark").values()))
    xml = convert(case / "model.raw", tmp_path, "--input_shape", "[3,40]")
    for device in ("CPU", "reference"):
        assert_matches_kaldi(stream_utterance(xml, x, device, frames=3), ref, f"3 frames on {device}")
    from irforge.cli.main import mo_main
    assert mo_main(["--input_model", str(case / "model.raw"), "--output_dir", str(tmp_path),
                    "--input_shape", "[4,40]", "--silent"]) == 1
