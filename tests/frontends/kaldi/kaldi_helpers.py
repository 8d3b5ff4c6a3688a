"""Helpers for the Kaldi tests: convert with the mo CLI, read text arks independently of irforge, and feed an
IR frame by frame through the OpenVINO runtime or the reference runtime."""
from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

import irforge
from irforge.cli.main import mo_main
from oracles import F32_HINT, SHARED

CORPUS = SHARED / "corpus" / "kaldi"


def convert(model: Path | str, out_dir: Path, *flags: str, name: str = "m") -> Path:
    """`mo --input_model MODEL ...` in-process; returns the IR .xml."""
    code = mo_main(["--input_model", str(model), "--output_dir", str(out_dir), "--model_name", name,
                    "--silent", *flags])
    assert code == 0, f"mo failed for {model} ({flags})"
    return out_dir / f"{name}.xml"


def read_text_ark(path: Path) -> dict[str, np.ndarray]:
    """Text archive `key [ rows ]` -> {key: float64 [T, D]} (a parser of its own, not irforge's)."""
    out, text = {}, Path(path).read_text()
    for key, body in re.findall(r"(\S+)\s*\[([^\]]*)\]", text):
        rows = [[float(v) for v in line.split()] for line in body.strip().splitlines() if line.strip()]
        out[key] = np.array(rows, np.float64).reshape(len(rows), -1)
    return out


def write_ark(path, utterances: dict[str, np.ndarray]) -> None:
    """A text archive written by the test (every float exactly)."""
    with open(path, "w") as f:
        for key, m in utterances.items():
            rows = "\n".join("  " + " ".join(repr(float(v)) for v in row) for row in m)
            f.write(f"{key}  [\n{rows} ]\n")


def var(case: Path, name: str) -> int:
    m = re.search(rf"^{name}=(-?\d+)", (case / "vars.sh").read_text(), re.M)
    return int(m.group(1)) if m else 0


def kaldi_info(xml: Path) -> dict[str, int]:
    info = irforge.read_model(xml).rt_info["kaldi"]
    return {k: int(v) for k, v in info.items() if str(v).lstrip("-").isdigit()}


class Streamer:
    """One IR, one device, state kept between `feed` calls (reset() starts an utterance)."""

    def __init__(self, xml: Path, device: str):
        self.device = device
        if device == "reference":
            self.model = irforge.compile_model(xml)
        else:
            import openvino as ov
            core = ov.Core()
            self.compiled = core.compile_model(core.read_model(str(xml)), "CPU", F32_HINT)
            self.request = self.compiled.create_infer_request()

    def reset(self) -> None:
        if self.device == "reference":
            self.model.reset_state()
        else:
            self.request.reset_state()

    def feed(self, frames: np.ndarray, *extra: np.ndarray) -> list[np.ndarray]:
        feeds = [np.ascontiguousarray(frames, np.float32), *extra]
        if self.device == "reference":
            return [np.asarray(v) for v in self.model(feeds).values()]
        result = self.request.infer({i: f for i, f in enumerate(feeds)})
        return [np.array(result[o]) for o in self.compiled.outputs]


def stream_utterance(xml: Path, x: np.ndarray, device: str, frames: int = 1) -> np.ndarray:
    """Pad x with the model's context (copies of the first/last frame), feed it `frames` rows at a time from
    a fresh state, and return the output for each real frame (the delay from the IR's rt_info removed)."""
    info = kaldi_info(xml)
    lc, delay = info["left_context"], info["output_delay"]
    steps = lc + len(x) + delay
    steps += -steps % frames
    padded = x[np.clip(np.arange(steps) - lc, 0, len(x) - 1)]
    s = Streamer(xml, device)
    s.reset()
    got = np.concatenate([s.feed(padded[i:i + frames])[0] for i in range(0, steps, frames)])
    return got[lc + delay:lc + delay + len(x)]


def assert_matches_kaldi(got: np.ndarray, ref: np.ndarray, what: str) -> None:
    assert got.shape == ref.shape, f"{what}: shape {got.shape} != Kaldi's {ref.shape}"
    err, scale = float(np.abs(got - ref).max()), float(np.abs(ref).max())
    assert err <= 1e-5 * scale + 1e-5, f"{what}: max error {err:.3g} (largest Kaldi output {scale:.3g})"
