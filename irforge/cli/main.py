"""The `mo` and `irforge` commands. Thin: flags -> ConversionOptions -> convert -> save -> one-line summary."""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import traceback
from pathlib import Path

from irforge.errors import IrforgeError

# (flag, argparse keywords, help). One table, so `--help` documents every flag and docs/CLI.md can be generated.
BOOL = {"nargs": "?", "const": "true", "default": None, "metavar": "BOOL"}
FLAGS: list[tuple[str, str, dict, str]] = [
    # group, flag, argparse keywords, help
    ("model", "--input_model", {"metavar": "PATH"}, "The model file (.onnx, .pb, .caffemodel, .params, .nnet/.mdl/.raw)."),
    ("model", "--framework", {"choices": ["onnx", "tf", "caffe", "mxnet", "kaldi"]},
     "The source framework; detected from the files when omitted."),
    ("output", "--output_dir", {"metavar": "DIR", "default": "."}, "Where NAME.xml and NAME.bin go (default: the current folder)."),
    ("output", "--model_name", {"metavar": "NAME"}, "NAME of NAME.xml / NAME.bin (default: the model file's stem)."),
    ("shape", "--input", {"metavar": "INPUTS"},
     "Inputs, comma separated: name, node:port (output port) or port:node (input port), optional [shape], "
     "{type} and ->value, e.g. data[1,3,224,224]{f32} or seq_len[1]{i32}->[20]. Cuts the graph there."),
    ("shape", "--output", {"metavar": "OUTPUTS"}, "Outputs, comma separated names or node:port; cuts what follows."),
    ("shape", "--input_shape", {"metavar": "SHAPES"},
     "Shapes of the inputs in --input order (or model order): [1,3,224,224],[1,10]; -1 or ? for a dynamic dim, "
     "1..10 for a range."),
    ("shape", "--batch", {"metavar": "N", "type": str}, "Set the first dim of every input to N (not with --input_shape)."),
    ("shape", "--static_shape", BOOL, "Require every shape to be static after conversion."),
    ("shape", "--keep_shape_ops", BOOL, "Keep shape sub-graphs (ShapeOf...) so the IR stays reshape-able."),
    ("shape", "--freeze_placeholder_with_value", {"metavar": "NAME->VALUE"},
     "Replace inputs by constants: name->value, comma separated (same value syntax as --input)."),
    ("prep", "--mean_values", {"metavar": "VALUES"}, "Per-channel means to subtract: [123,117,104] or data[123,117,104],..."),
    ("prep", "--scale_values", {"metavar": "VALUES"}, "Per-channel divisors: [58,57,57] or data[58,57,57],..."),
    ("prep", "--scale", {"metavar": "S"}, "Divide every input by S (after the mean)."),
    ("prep", "--reverse_input_channels", BOOL, "Reverse the channel order of 3-channel inputs (RGB <-> BGR) first."),
    ("prep", "--layout", {"metavar": "LAYOUT"}, "Layouts: nchw, data(nhwc->nchw), ..."),
    ("prep", "--source_layout", {"metavar": "LAYOUT"}, "The model's own input/output layout."),
    ("prep", "--target_layout", {"metavar": "LAYOUT"}, "The layout wanted in the IR (inserts a Transpose)."),
    ("precision", "--data_type", {"metavar": "TYPE", "default": None}, "FP32 (default), FP16 / half (same as --compress_to_fp16) or float."),
    ("precision", "--compress_to_fp16", BOOL, "Store f32 weights as f16 with a Convert back (values outside f16 stay f32)."),
    ("precision", "--disable_weights_compression", BOOL, "Keep quantized weights in f32 with FakeQuantize on them."),
    ("optimize", "--disable_fusing", BOOL, "Turn off linear operations fusing (BatchNorm/Scale/Shift into Conv, ...)."),
    ("optimize", "--disable_gfusing", BOOL, "Turn off grouped convolution fusing."),
    ("optimize", "--disable_resnet_optimization", BOOL, "Turn off the ResNet stride optimization."),
    ("optimize", "--finegrain_fusing", {"metavar": "NODES"}, "Keep these nodes out of fusing (regular expressions)."),
    ("optimize", "--transform", {"metavar": "NAMES"}, "Extra transformations to apply (none are available yet)."),
    ("optimize", "--extensions", {"metavar": "PATHS"}, "Python files that bring ops, translators and passes."),
    ("optimize", "--transformations_config", {"metavar": "JSON"}, "Sub-graph replacement configuration."),
    ("report", "--log_level", {"default": "ERROR", "choices": ["CRITICAL", "ERROR", "WARN", "WARNING", "INFO",
                                                            "DEBUG", "NOTSET"]}, "Logging level."),
    ("report", "--silent", BOOL, "Print nothing but errors."),
    ("report", "--progress", BOOL, "Show a progress bar while translating."),
    ("report", "--stream_output", BOOL, "Print the progress on separate lines (for logs)."),
    ("report", "--debug", BOOL, "Validate the graph after every pass and show tracebacks."),
    ("caffe", "--input_proto", {"metavar": "PROTOTXT"}, "Caffe: the deploy .prototxt (alone: topology only)."),
    ("caffe", "--mean_file", {"metavar": "BINARYPROTO"}, "Caffe: a mean image to subtract."),
    ("caffe", "--mean_file_offsets", {"metavar": "X,Y"}, "Caffe: crop offsets into the mean image."),
    ("caffe", "--disable_omitting_optional", BOOL, "Caffe: keep optional layer attributes."),
    ("caffe", "--enable_flattening_nested_params", BOOL, "Caffe: flatten nested layer parameters."),
    ("tf", "--input_model_is_text", BOOL, "TensorFlow: the GraphDef is in text form (.pbtxt)."),
    ("tf", "--saved_model_dir", {"metavar": "DIR"}, "TensorFlow: a SavedModel directory."),
    ("tf", "--saved_model_tags", {"metavar": "TAGS"}, "TensorFlow: MetaGraph tags of the SavedModel (default serve)."),
    ("tf", "--input_meta_graph", {"metavar": "PATH"}, "TensorFlow: a .meta file (its checkpoint beside it)."),
    ("tf", "--input_checkpoint", {"metavar": "PATH"}, "TensorFlow: variables for a GraphDef."),
    ("tf", "--tensorboard_logdir", {"metavar": "DIR"}, "TensorFlow: write the graph for TensorBoard."),
    ("mxnet", "--input_symbol", {"metavar": "JSON"}, "MXNet: the -symbol.json file."),
    ("mxnet", "--nd_prefix_name", {"metavar": "PREFIX"}, "MXNet: PREFIX_args.nd / PREFIX_auxs.nd weights."),
    ("mxnet", "--pretrained_model_name", {"metavar": "PARAMS"}, "MXNet: a pretrained .params filling missing weights."),
    ("mxnet", "--save_params_from_nd", BOOL, "MXNet: write the merged .params."),
    ("mxnet", "--legacy_mxnet_model", BOOL, "MXNet: a pre-1.0 symbol file."),
    ("mxnet", "--enable_ssd_gluoncv", BOOL, "MXNet: GluonCV SSD post-processing into DetectionOutput."),
    ("kaldi", "--counts", {"metavar": "PATH"}, "Kaldi: class counts; their log priors are subtracted from the output."),
    ("kaldi", "--remove_output_softmax", BOOL, "Kaldi: drop the final softmax."),
    ("kaldi", "--remove_memory", BOOL, "Kaldi: memories become extra inputs and outputs."),
]
# Legacy flags that irforge does not do, with what to do instead.
REJECTED = {
    "--k": "Caffe's --k (CustomLayersMapping.xml) and the 'fallback to Caffe' mode are not supported: bring "
           "unknown layers with --extensions instead.",
    "--generate_deprecated_IR_V7": "IR v7 is not supported: irforge writes IR v11, which OpenVINO reads.",
}
GROUPS = {"model": "model", "output": "output files", "shape": "inputs, outputs and shapes",
          "prep": "embedded preprocessing", "precision": "precision", "optimize": "optimization",
          "report": "reporting", "caffe": "Caffe", "tf": "TensorFlow", "mxnet": "MXNet", "kaldi": "Kaldi"}


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description="Convert a trained model to OpenVINO IR v11 (NAME.xml + NAME.bin).",
        epilog="Example: mo --input_model resnet50.onnx --output_dir out --mean_values [123,117,104]")
    groups = {key: parser.add_argument_group(title) for key, title in GROUPS.items()}
    for group, flag, kwargs, help_text in FLAGS:
        groups[group].add_argument(flag, help=help_text, **kwargs)
    parser.add_argument("--version", action="version", version=f"irforge {_version()}")
    return parser


def _version() -> str:
    from irforge import __version__
    return __version__


def options_from_args(args: argparse.Namespace):
    from irforge.options import ConversionOptions
    values = {k: v for k, v in vars(args).items() if v is not None and k != "version"}
    model = values.pop("input_model", None)
    return ConversionOptions.build(model, **values)


def run_convert(argv: list[str], prog: str) -> int:
    for flag, message in REJECTED.items():
        if any(a == flag or a.startswith(flag + "=") for a in argv):
            print(f"[ ERROR ] {flag}: {message}", file=sys.stderr)
            return 2
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    debug = bool(args.debug) and str(args.debug).lower() not in ("false", "0")
    level = str(args.log_level).upper()
    logging.basicConfig(level=getattr(logging, "WARNING" if level == "WARN" else level, logging.ERROR),
                        format="[ %(levelname)s ] %(message)s")
    try:
        from irforge.convert import convert_options
        from irforge.ir.writer import save_model
        options = options_from_args(args)
        if options.input_model is None and not (options.saved_model_dir or options.input_meta_graph
                                                or options.input_proto or options.input_symbol):
            parser.error("--input_model is required")
        start = time.perf_counter()
        graph = convert_options(options)
        name = options.model_name or _default_name(options)
        xml, binp = save_model(graph, Path(options.output_dir) / f"{name}.xml", compress_to_fp16=options.fp16)
        seconds = time.perf_counter() - start
        if not options.silent:
            n_ops = sum(1 for n in graph.nodes if n.op.TYPE not in ("Parameter", "Result", "Const"))
            weights = sum(n.op.nbytes for n in graph.nodes if n.op.TYPE == "Const")  # type: ignore[attr-defined]
            print(f"[ SUCCESS ] XML file: {xml}")
            print(f"[ SUCCESS ] BIN file: {binp}")
            print(f"[ SUCCESS ] {n_ops} ops, {weights / 1e6:.1f} MB of constants, "
                  f"{len(graph.parameters)} input(s), {len(graph.results)} output(s), converted in {seconds:.2f} s")
        return 0
    except IrforgeError as e:
        print(f"[ ERROR ] {e}", file=sys.stderr)
        if debug:
            traceback.print_exc()
        return 1
    except KeyboardInterrupt:
        print("[ ERROR ] interrupted; nothing was written", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - a bug: say so in one line, traceback with --debug
        print(f"[ ERROR ] internal error ({type(e).__name__}: {e}). This is a bug in irforge; rerun with "
              f"--debug for the traceback and report it.", file=sys.stderr)
        if debug:
            traceback.print_exc()
        return 2


def _default_name(options) -> str:
    model = options.input_model or options.saved_model_dir or options.input_meta_graph or options.input_proto or "model"
    stem = Path(str(model).rstrip("/\\")).name
    for suffix in (".onnx", ".pb", ".pbtxt", ".caffemodel", ".prototxt", ".params", ".nnet", ".mdl", ".raw",
                   ".meta", ".json"):
        if stem.endswith(suffix):
            return stem[: -len(suffix)]
    return os.path.splitext(stem)[0] or "model"


def mo_main(argv: list[str] | None = None) -> int:
    return run_convert(sys.argv[1:] if argv is None else argv, "mo")


def irforge_main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "infer":
        from irforge.cli.infer import infer_main
        return infer_main(argv[1:])
    if argv and argv[0] == "convert":
        return run_convert(argv[1:], "irforge convert")
    if argv and argv[0] in ("-h", "--help") and len(argv) == 1:
        print("usage: irforge [convert] [mo flags...] | irforge infer MODEL.xml --input IN --output OUT\n\n"
              "  convert   convert a model (the default; same flags as `mo`, see `irforge convert --help`)\n"
              "  infer     run an IR on inputs from .npy/.npz (or Kaldi .ark) files (see `irforge infer --help`)")
        return 0
    return run_convert(argv, "irforge")
