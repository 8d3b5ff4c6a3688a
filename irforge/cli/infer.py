"""`irforge infer MODEL.xml --input IN --output OUT [--device CPU|reference]`: run any IR on saved inputs."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from irforge.errors import IrforgeError, OptionError


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="irforge infer", description="Run an IR on inputs saved as .npy / .npz, "
                                "or a Kaldi IR on a Kaldi archive as nnet3-compute does.")
    p.add_argument("model", help="the IR .xml (its .bin beside it)")
    p.add_argument("--input", required=True, help="input.npy (one input), input.npz (by input name), "
                                                  "name=file.npy,name2=file2.npy, 'random' (seeded random "
                                                  "values of each input's shape and type: a smoke run), or a "
                                                  "Kaldi archive (feats.ark, ark:feats.ark, text or binary)")
    p.add_argument("--output", required=True, help="output .npz (every output, by name) or .npy (the first); "
                                                   "for Kaldi archives out.ark (text; ark:out.ark is binary, "
                                                   "ark,t:out.ark text)")
    p.add_argument("--device", default="reference", help="reference (irforge's runtime) or CPU (OpenVINO)")
    kaldi = p.add_argument_group("Kaldi archives (like nnet3-compute)")
    kaldi.add_argument("--frame-subsampling-factor", type=int, default=1, metavar="S",
                       help="keep every S-th output frame (chain models: 3)")
    kaldi.add_argument("--frames-per-chunk", type=int, default=0, metavar="F",
                       help="start a fresh state every F frames, as nnet3-compute does (its default is 50; "
                            "0, the default here, runs each utterance as one chunk). Matters only for "
                            "recurrent models")
    kaldi.add_argument("--extra-left-context", type=int, default=0, metavar="E",
                       help="frames of extra left context fed before each chunk (recurrent models)")
    kaldi.add_argument("--ivectors", metavar="ARK", help="one i-vector per utterance, fed on every frame to the "
                       "model's second input (nnet3-compute --ivectors)")
    kaldi.add_argument("--binary", action="store_true", help="write a binary archive")
    return p


def random_inputs(model: str) -> list[np.ndarray]:
    """Seeded random values for each input (dynamic dims taken as 1, or their lower bound)."""
    from irforge.ir.reader import read_model
    rng = np.random.default_rng(0)
    feeds = []
    for p in read_model(model).parameters:
        info = p.outputs[0].info
        if info.shape.rank is None:
            raise OptionError("--input", "random", "inputs of known rank (this model has one of dynamic rank)")
        shape = [d if isinstance(d, int) else max(d.lower, 1) for d in info.shape]
        dtype = info.element_type.numpy
        feeds.append(rng.standard_normal(shape).astype(dtype) if dtype.kind == "f"
                     else rng.integers(0, 2, shape).astype(dtype))
    return feeds


def load_inputs(spec: str, model: str) -> dict[str, np.ndarray] | list[np.ndarray]:
    if spec == "random":
        return random_inputs(model)
    if "=" in spec:
        return {k: np.load(v) for k, v in (item.split("=", 1) for item in spec.split(","))}
    path = Path(spec)
    if not path.exists():
        raise OptionError("--input", spec, "an existing .npy or .npz file")
    if path.suffix == ".npz":
        with np.load(path) as data:
            return {k: data[k] for k in data.files}
    return [np.load(path)]


def run(model: str, inputs, device: str) -> dict[str, np.ndarray]:
    if device.lower() == "reference":
        from irforge.runtime import compile_model
        return compile_model(model)(inputs)
    from irforge.cli.devices import openvino_request
    compiled, _ = openvino_request(model, device)
    result = compiled(inputs)
    return {(o.get_any_name() if o.get_names() else f"output{i}"): np.asarray(result[o])
            for i, o in enumerate(compiled.outputs)}


def infer_main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        from irforge.frontends.kaldi.ark import is_ark
        if is_ark(args.input):
            from irforge.cli.kaldi_infer import infer_ark
            results = infer_ark(args.model, args.input, args.output, args.device, args.frame_subsampling_factor,
                                args.frames_per_chunk, args.extra_left_context, args.binary, args.ivectors)
            frames = sum(v.shape[0] for v in results.values())
            print(f"{len(results)} utterance(s), {frames} output frame(s) -> {args.output}")
            return 0
        outputs = run(args.model, load_inputs(args.input, args.model), args.device)
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        if args.output.endswith(".npy"):
            np.save(args.output, next(iter(outputs.values())))
        else:
            np.savez(args.output, **outputs)
        for name, value in outputs.items():
            flat = value.reshape(-1)
            top = f", argmax {int(np.argmax(flat))}" if value.dtype.kind == "f" and flat.size else ""
            print(f"{name}: {value.dtype}{list(value.shape)}{top}")
        return 0
    except IrforgeError as e:
        print(f"[ ERROR ] {e}", file=sys.stderr)
        return 1
