"""The `mo` and `irforge` commands. Thin: flags -> ConversionOptions -> convert -> save -> one-line summary."""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import traceback
from pathlib import Path

import numpy as np

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
     "Inputs, comma separated, in the order the IR takes them. Each: a model input, tensor or node name, "
     "node:K (output port K becomes an input) or K:node (only the edge into input port K), then optionally "
     "[shape], {type} (f32, f16, i64, i32, u8, boolean...) and ->value to freeze it: data[1,3,224,224]{f32}, "
     "seq_len[2]{i32}->[20,15]. A name inside the model cuts off what comes before it."),
    ("shape", "--output", {"metavar": "OUTPUTS"},
     "Outputs, comma separated: tensor or node names, node:K or K:node. They replace the model's outputs; what "
     "no longer feeds one is removed."),
    ("shape", "--input_shape", {"metavar": "SHAPES"},
     "Shapes of the inputs, in --input order (or model order): [1,3,224,224],[1,10]; -1 or ? for a dynamic dim, "
     "1..10 (or ..10, 1..) for a range."),
    ("shape", "--batch", {"metavar": "N", "type": str},
     "Set the batch of every input to N: the N of its --layout, else dim 0 (not with shapes in --input_shape or "
     "--input)."),
    ("shape", "--static_shape", BOOL,
     "Fold the shape computations and require every input shape to be static (give it with --input_shape)."),
    ("shape", "--keep_shape_ops", BOOL,
     "Keep the shape computations (ShapeOf...) so the IR can be reshaped in OpenVINO (not with --static_shape)."),
    ("shape", "--freeze_placeholder_with_value", {"metavar": "NAME->VALUE"},
     "Replace inputs by constants: name->value, comma separated (the value syntax of --input)."),
    ("prep", "--mean_values", {"metavar": "VALUES"},
     "Per-channel values to subtract: [123.7,116.3,103.5], or per input data[123.7,116.3,103.5],info[0]; unnamed "
     "lists go to the inputs in --input (or model) order. Applied after --reverse_input_channels, before scales."),
    ("prep", "--scale_values", {"metavar": "VALUES"},
     "Per-channel values to divide by, after the mean: [58.4,57.1,57.4] or data[58.4,57.1,57.4]."),
    ("prep", "--scale", {"metavar": "S"}, "Divide every float input by S, after the mean (not with --scale_values)."),
    ("prep", "--reverse_input_channels", BOOL,
     "Reverse the channel order (RGB <-> BGR) of every input with 3 channels, first of all the steps."),
    ("prep", "--layout", {"metavar": "LAYOUT"},
     "Input/output layouts: nchw, or name(nchw), name[n,c,h,w]; source->target (nchw->nhwc) makes the input take "
     "the target layout, with a Transpose back. C places the mean/scale values, N the --batch."),
    ("prep", "--source_layout", {"metavar": "LAYOUT"}, "The model's own layout of inputs/outputs (as --layout)."),
    ("prep", "--target_layout", {"metavar": "LAYOUT"},
     "The layout the IR's inputs/outputs should have; a Transpose is inserted where it differs from the source."),
    ("precision", "--data_type", {"metavar": "TYPE", "default": None},
     "FP32 / float (default) or FP16 / half: FP16 stores the weights as f16 (as --compress_to_fp16)."),
    ("precision", "--compress_to_fp16", BOOL,
     "Store f32 weights as f16, each with a Convert back to f32 marked `decompression`; weights with values "
     "outside the f16 range and shape computations stay f32."),
    ("precision", "--disable_weights_compression", BOOL,
     "Keep the weights of quantized models as f32 under their FakeQuantize (the expanded IR, up to 4x larger) "
     "instead of storing them as i8/u8 (4-bit where the source is 4-bit) with a Convert, Subtract, Multiply."),
    ("optimize", "--disable_fusing", BOOL,
     "Turn off linear operations fusing: BatchNorm / Scale / Mul / Add chains stay separate ops instead of being "
     "folded into the weights and biases of Convolution, GroupConvolution, Deconvolution and MatMul."),
    ("optimize", "--disable_gfusing", BOOL,
     "Turn off grouped convolution fusing (Split -> N Convolutions -> Concat into one GroupConvolution)."),
    ("optimize", "--disable_resnet_optimization", BOOL,
     "Turn off the ResNet stride optimization (a strided 1x1 convolution's stride moved up the branch)."),
    ("optimize", "--finegrain_fusing", {"metavar": "NODES"},
     "Keep the nodes whose names match these comma-separated regular expressions (re.search) out of linear "
     "and grouped convolution fusing."),
    ("optimize", "--transform", {"metavar": "NAMES"},
     "MakeStateful[param_res_names={'IN':'OUT',...}]: each input IN that the model returns updated as output OUT "
     "becomes state kept by the runtime between calls (ReadValue/Assign, zeros at first). LowLatency2 and Pruning "
     "are not implemented (rejected)."),
    ("optimize", "--extensions", {"metavar": "PATHS"},
     "Python files (or directories of them) with translators for ops irforge does not know: a table ONNX_OPS, "
     "TENSORFLOW_OPS, CAFFE_LAYERS or MXNET_OPS of op name -> function(node) -> outputs, as the frontends' own "
     "tables (see irforge/extensions.py). The legacy tool's extension classes cannot be loaded."),
    ("optimize", "--transformations_config", {"metavar": "JSON"}, "Sub-graph replacement configuration: not "
                                                                  "implemented yet (rejected)."),
    ("report", "--log_level", {"default": "ERROR", "choices": ["CRITICAL", "ERROR", "WARN", "WARNING", "INFO",
                                                            "DEBUG", "NOTSET"]},
     "Logging level on stderr; DEBUG also lists every pass with its changes and time."),
    ("report", "--silent", BOOL, "Print nothing but errors."),
    ("report", "--progress", BOOL, "Show a progress bar on stderr while translating."),
    ("report", "--stream_output", BOOL,
     "Show the progress as separate lines, every 10% (for logs; implies --progress)."),
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
# The legacy mo's short spellings.
ALIASES: dict[str, tuple[str, ...]] = {
    "--input_model": ("-m", "-w"), "--output_dir": ("-o",), "--model_name": ("-n",), "--batch": ("-b",),
    "--scale": ("-s",), "--mean_values": ("-ms",),
}
# One example per flag, for docs/CLI.md (tests/cli/test_docs.py checks every flag has one).
EXAMPLES: dict[str, str] = {
    "--input_model": "mo --input_model resnet50.onnx",
    "--framework": "mo --framework onnx --input_model model.bin",
    "--output_dir": "mo --input_model resnet50.onnx --output_dir ir/",
    "--model_name": "mo --input_model resnet50.onnx --model_name resnet50_fp16",
    "--input": 'mo --input_model model.onnx --input "data[1,3,224,224]{f32},seq_len[1]{i32}->[20]"',
    "--output": "mo --input_model model.onnx --output conv5:0,prob",
    "--input_shape": "mo --input_model model.onnx --input_shape [1..8,3,224,224],[1,?]",
    "--batch": "mo --input_model model.onnx --batch 4",
    "--static_shape": "mo --input_model model.onnx --input_shape [1,3,224,224] --static_shape",
    "--keep_shape_ops": "mo --input_model model.onnx --keep_shape_ops",
    "--freeze_placeholder_with_value":
        'mo --input_model model.onnx --freeze_placeholder_with_value "is_training->False"',
    "--mean_values": "mo --input_model model.onnx --mean_values data[123.675,116.28,103.53]",
    "--scale_values":
        "mo --input_model model.onnx --mean_values [123.675,116.28,103.53] --scale_values [58.4,57.1,57.4]",
    "--scale": "mo --input_model model.onnx --scale 255",
    "--reverse_input_channels": "mo --input_model model.onnx --reverse_input_channels",
    "--layout": 'mo --input_model model.onnx --layout "data(nchw->nhwc)"',
    "--source_layout": "mo --input_model model.onnx --source_layout nchw",
    "--target_layout": "mo --input_model model.onnx --source_layout nchw --target_layout nhwc",
    "--data_type": "mo --input_model model.onnx --data_type FP16",
    "--compress_to_fp16": "mo --input_model model.onnx --compress_to_fp16",
    "--disable_weights_compression": "mo --input_model model_int8.onnx --disable_weights_compression",
    "--disable_fusing": "mo --input_model model.onnx --disable_fusing",
    "--disable_gfusing": "mo --input_model model.onnx --disable_gfusing",
    "--disable_resnet_optimization": "mo --input_model model.onnx --disable_resnet_optimization",
    "--finegrain_fusing": "mo --input_model model.onnx --finegrain_fusing conv1,.*Scale.*",
    "--transform": "mo --input_model rnn.onnx --transform \"MakeStateful[param_res_names={'h_in':'h_out'}]\"",
    "--extensions": "mo --input_model model.onnx --extensions my_ops.py",
    "--transformations_config": "mo --input_model model.pb --transformations_config ssd.json  # rejected",
    "--log_level": "mo --input_model model.onnx --log_level DEBUG",
    "--silent": "mo --input_model model.onnx --silent",
    "--progress": "mo --input_model model.onnx --progress",
    "--stream_output": "mo --input_model model.onnx --stream_output > convert.log 2>&1",
    "--debug": "mo --input_model model.onnx --debug",
    "--input_proto": "mo --input_model net.caffemodel --input_proto deploy.prototxt",
    "--mean_file": "mo --input_model net.caffemodel --mean_file mean.binaryproto",
    "--mean_file_offsets": "mo --input_model net.caffemodel --mean_file mean.binaryproto --mean_file_offsets 16,16",
    "--disable_omitting_optional": "mo --input_model net.caffemodel --disable_omitting_optional",
    "--enable_flattening_nested_params": "mo --input_model net.caffemodel --enable_flattening_nested_params",
    "--input_model_is_text": "mo --input_model graph.pbtxt --input_model_is_text",
    "--saved_model_dir": "mo --saved_model_dir exported/",
    "--saved_model_tags": "mo --saved_model_dir exported/ --saved_model_tags serve",
    "--input_meta_graph": "mo --input_meta_graph model.ckpt.meta",
    "--input_checkpoint": "mo --input_model graph.pb --input_checkpoint model.ckpt",
    "--tensorboard_logdir": "mo --input_model graph.pb --tensorboard_logdir tb/",
    "--input_symbol": "mo --input_model model-0000.params --input_symbol model-symbol.json",
    "--nd_prefix_name": "mo --input_symbol model-symbol.json --nd_prefix_name model --pretrained_model_name base",
    "--pretrained_model_name":
        "mo --input_symbol model-symbol.json --nd_prefix_name model --pretrained_model_name base",
    "--save_params_from_nd": "mo --input_symbol model-symbol.json --nd_prefix_name model --save_params_from_nd",
    "--legacy_mxnet_model": "mo --input_model old-0000.params --legacy_mxnet_model",
    "--enable_ssd_gluoncv": "mo --input_model ssd-0000.params --enable_ssd_gluoncv",
    "--counts": "mo --input_model am.nnet --counts am.counts",
    "--remove_output_softmax": "mo --input_model am.nnet --remove_output_softmax",
    "--remove_memory": "mo --input_model am.nnet --remove_memory",
}
# Legacy flags that irforge does not do, with what to do instead.
REJECTED = {
    "--k": "Caffe's --k (CustomLayersMapping.xml) and the legacy 'fallback to Caffe' mode (running unknown "
           "layers in an installed Caffe) are not supported: irforge converts without Caffe. Drop the flag; a net "
           "with layers irforge does not know fails with one error that lists them all.",
    "--generate_deprecated_IR_V7": "IR v7 is not supported: irforge writes IR v11, which OpenVINO reads.",
    "--tensorflow_custom_operations_config_update": "the legacy sub-graph replacement configurations are not read "
                                                    "by irforge. Drop the flag.",
    "--tensorflow_object_detection_api_pipeline_config": "irforge converts an Object Detection API model's own graph "
        "(NonMaxSuppression and all) without the legacy pipeline.config-driven replacements. Drop the flag (and "
        "--transformations_config).",
    "--tensorflow_custom_layer_libraries": "TensorFlow op libraries (.so) cannot be loaded: give translators for "
                                           "those ops with --extensions (a TENSORFLOW_OPS table).",
    "--enable_concat_optimization": "irforge has no Concat optimization pass. Drop the flag.",
}
# Legacy flags that choose something irforge has no choice of: accepted (a drop-in must not fail on them), with a
# note saying why they change nothing. flag -> (takes a value, note)
IGNORED = {
    "--use_new_frontend": (False, "irforge has one frontend per framework"),
    "--use_legacy_frontend": (False, "irforge has one frontend per framework"),
    "--api_2": (False, "the IR irforge writes (v11) is the API 2.0 IR"),
    "--disable_nhwc_to_nchw": (False, "irforge keeps a TensorFlow model's own layout (NHWC) unless "
                                      "--source_layout/--target_layout ask for another"),
    "--caffe_parser_path": (True, "irforge reads Caffe files with its own parser"),
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
        groups[group].add_argument(flag, *ALIASES.get(flag, ()), help=help_text.replace("%", "%%"), **kwargs)
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


def _drop_ignored(argv: list[str]) -> list[str]:
    """argv without the IGNORED flags (and their values), each noted on stderr unless --silent."""
    kept, i = [], 0
    quiet = "--silent" in argv
    while i < len(argv):
        flag = argv[i].split("=", 1)[0]
        if flag in IGNORED:
            takes_value, note = IGNORED[flag]
            i += 2 if takes_value and "=" not in argv[i] else 1
            if not quiet:
                print(f"[ WARNING ] {flag} changes nothing: {note}.", file=sys.stderr)
            continue
        kept.append(argv[i])
        i += 1
    return kept


def run_convert(argv: list[str], prog: str) -> int:
    for flag, message in REJECTED.items():
        if any(a == flag or a.startswith(flag + "=") for a in argv):
            print(f"[ ERROR ] {flag}: {message}", file=sys.stderr)
            return 2
    argv = _drop_ignored(argv)
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    debug = bool(args.debug) and str(args.debug).lower() not in ("false", "0")
    silent = bool(args.silent) and str(args.silent).lower() not in ("false", "0")
    _configure_logging("ERROR" if silent else str(args.log_level).upper())
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
            print(f"[ SUCCESS ] XML file: {xml}")
            print(f"[ SUCCESS ] BIN file: {binp}")
            print(f"[ SUCCESS ] {summary(graph)}, converted in {seconds:.2f} s")
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


def _configure_logging(level: str) -> None:
    """irforge's log records go to stderr as "[ LEVEL ] message" at the --log_level (the root logger is left to
    the host program)."""
    log = logging.getLogger("irforge")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("[ %(levelname)s ] %(message)s"))
    log.handlers = [handler]
    log.setLevel(getattr(logging, "WARNING" if level == "WARN" else level, logging.ERROR))
    log.propagate = False


def summary(graph) -> str:
    """ops, model parameters (elements of the constants) and their bytes, inputs and outputs; for quantized
    models the FakeQuantize nodes, the weights stored as integers and the bytes that saves."""
    from irforge.core.graph import Constant
    constants = [n.op for n in graph.nodes if isinstance(n.op, Constant)]
    n_ops = sum(1 for n in graph.nodes if n.op.TYPE not in ("Parameter", "Result", "Const"))
    elements = sum(int(np.prod(c.shape, dtype=np.int64)) for c in constants)
    nbytes = sum(c.nbytes for c in constants)
    from irforge.transforms.compress_quantized_weights import summarize
    quantized = str(summarize(graph))   # FakeQuantize nodes, integer weights, bytes saved (quantized models)
    return (f"{n_ops} ops, {elements / 1e6:.2f} M parameters ({nbytes / 1e6:.1f} MB), "
            f"{len(graph.parameters)} input(s), {len(graph.results)} output(s)"
            + (f", {quantized}" if quantized else ""))


def _default_name(options) -> str:
    model = (options.input_model or options.saved_model_dir or options.input_meta_graph or options.input_proto
             or options.input_symbol or "model")
    stem = Path(str(model).rstrip("/\\")).name
    for suffix in (".onnx", ".pb", ".pbtxt", ".caffemodel", ".prototxt", ".params", ".nnet", ".mdl", ".raw",
                   ".meta", "-symbol.json", ".json"):
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
