"""`irforge infer KALDI_IR.xml --input feats.ark --output out.ark`: what Kaldi's nnet3-compute does, on a
streaming IR from the Kaldi frontend. Each utterance is padded with copies of its first and last frames for the
model's context (read from the IR's rt_info), fed N frames per inference from a fresh state, the output delay
is removed, and every S-th frame is kept (--frame-subsampling-factor). A model with an i-vector input gets the
utterance's vector (--ivectors) on every frame."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from irforge.errors import InputError, OptionError


@dataclass(frozen=True)
class StreamInfo:
    left_context: int
    right_context: int
    output_delay: int
    frames: int
    memories_as_io: bool

    @staticmethod
    def of(rt_info: dict, model: str) -> StreamInfo:
        kaldi = rt_info.get("kaldi")
        if not isinstance(kaldi, dict):
            raise OptionError("--input", "a Kaldi archive", f"an IR converted from a Kaldi model ({model} has no "
                              "kaldi section in its rt_info; give it .npy/.npz inputs instead)")
        try:
            return StreamInfo(int(kaldi["left_context"]), int(kaldi["right_context"]), int(kaldi["output_delay"]),
                              int(kaldi["frames_per_inference"]), kaldi.get("memories") == "inputs_outputs")
        except (KeyError, ValueError) as e:
            raise OptionError("--input", "a Kaldi archive", f"a Kaldi IR with complete rt_info ({e})") from None


def is_memory(name: str) -> bool:
    """The inputs a --remove_memory IR takes for its state (named by the Kaldi frontend)."""
    return name.endswith("/history") or name == "frame_counter"


class Session:
    """One model on one device: `step(feeds)` -> first output's rows; `reset()` starts an utterance. The
    features go to the input named "input" (else the first); the other model inputs are the i-vectors."""

    def __init__(self, model: str, device: str):
        from irforge.ir.reader import read_model
        graph = read_model(model)
        self.info = StreamInfo.of(graph.rt_info, model)
        self.names = [p.name for p in graph.parameters]
        self.dims = {p.name: int(p.outputs[0].shape[1]) for p in graph.parameters}
        self.memories = [n for n in self.names if is_memory(n)] if self.info.memories_as_io else []
        inputs = [n for n in self.names if n not in self.memories]
        self.features = "input" if "input" in inputs else inputs[0]
        self.extra = [n for n in inputs if n != self.features]
        self.memory: dict[str, np.ndarray] = {}
        self.shapes = {p.name: tuple(p.outputs[0].shape) for p in graph.parameters}
        if device.lower() == "reference":
            from irforge.runtime import CompiledModel
            compiled = CompiledModel(graph)
            self._reset: Callable[[], None] = compiled.reset_state
            self._run: Callable[[list[np.ndarray]], list[np.ndarray]] = lambda feeds: list(compiled(feeds).values())
        else:
            from irforge.cli.devices import openvino_request
            _, request = openvino_request(model, device)
            self._reset = request.reset_state
            self._run = lambda feeds: [np.array(v) for v in request.infer(
                {i: np.ascontiguousarray(f) for i, f in enumerate(feeds)}).values()]

    def reset(self) -> None:
        self._reset()
        self.memory = {n: np.zeros(self.shapes[n], np.float32) for n in self.memories}

    def step(self, values: dict[str, np.ndarray]) -> np.ndarray:
        outs = self._run([values[n] if n in values else self.memory[n] for n in self.names])
        if self.memories:  # --remove_memory IRs: the last outputs are the next memory values
            for name, value in zip(self.memories, outs[-len(self.memories):]):
                self.memory[name] = value
        return outs[0]


def run_utterance(session: Session, x: np.ndarray, subsampling: int = 1, frames_per_chunk: int = 0,
                  extra_left_context: int = 0, ivectors: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """The model's output for every S-th frame of utterance x [T, D], as nnet3-compute gives it."""
    info = session.info
    total = x.shape[0]
    if total == 0:
        return np.zeros((0, 0), np.float32)
    chunk = total if frames_per_chunk <= 0 else -(-frames_per_chunk // subsampling) * subsampling
    constant = {n: np.tile(v.reshape(1, -1).astype(np.float32), (info.frames, 1)) for n, v in (ivectors or {}).items()}
    outputs = []
    for start in range(0, total, chunk):
        length = min(chunk, total - start)
        left = info.left_context + extra_left_context
        steps = left + length + info.output_delay
        steps += -steps % info.frames                      # whole inferences
        index = np.clip(np.arange(start - left, start - left + steps), 0, total - 1)
        stream = x[index].astype(np.float32)
        session.reset()
        got = np.concatenate([session.step({session.features: stream[i:i + info.frames], **constant})
                              for i in range(0, steps, info.frames)])
        outputs.append(got[left + info.output_delay:left + info.output_delay + length])
    return np.concatenate(outputs)[::subsampling]


def infer_ark(model: str, input_spec: str, output_spec: str, device: str, subsampling: int, frames_per_chunk: int,
              extra_left_context: int, binary: bool, ivectors_spec: str | None = None) -> dict[str, np.ndarray]:
    from irforge.frontends.kaldi.ark import read_ark, strip_specifier, write_ark
    if subsampling < 1:
        raise OptionError("--frame-subsampling-factor", subsampling, "a positive integer")
    utterances = read_ark(input_spec)
    session = Session(model, device)
    ivectors = read_ark(ivectors_spec) if ivectors_spec else {}
    if session.extra and not ivectors_spec:
        raise OptionError("--ivectors", None, f"an archive of one vector per utterance: the model also takes "
                          f"{', '.join(session.extra)}")
    if len(session.extra) > 1:
        raise OptionError("--input", input_spec, f"a model with at most one input besides the features (this one "
                          f"takes {', '.join(session.extra)})")
    path = strip_specifier(input_spec)[0]
    results = {}
    for key, x in utterances.items():
        if x.shape[1] != session.dims[session.features]:
            raise InputError(f"utterance '{key}' has {x.shape[1]} features per frame, the model takes "
                             f"{session.dims[session.features]}", path=path)
        extra = {}
        if session.extra:
            if key not in ivectors:
                raise InputError(f"utterance '{key}' has no i-vector", path=strip_specifier(ivectors_spec)[0])
            vector = ivectors[key].reshape(-1)
            name = session.extra[0]
            if vector.size != session.dims[name]:
                raise InputError(f"the i-vector of '{key}' has {vector.size} values, input '{name}' takes "
                                 f"{session.dims[name]}", path=strip_specifier(ivectors_spec)[0])
            extra = {name: vector}
        results[key] = run_utterance(session, x, subsampling, frames_per_chunk, extra_left_context, extra)
    write_ark(output_spec, results, binary)
    return results
