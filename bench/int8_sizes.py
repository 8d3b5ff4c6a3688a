"""INT8 IR sizes: irforge's compressed IR (and its --disable_weights_compression expanded IR) against the FP32 IR
of the same model and the IR openvino.convert_model + save_model writes for the same quantized model. Also says
whether OpenVINO's CPU plugin runs the convolutions / dense layers of each IR in INT8 (runtime precision of the
compiled model). Run by hand:

    PYTHONPATH=. python bench/int8_sizes.py [--models resnet18,mobilenet_v2,...] [--tf-models cnn,resnet]
                                            [--write docs/BENCHMARKS.md]

The models come from tests/frontends/onnx/int8_zoo.py (onnxruntime-quantized ONNX) and
tests/frontends/tensorflow/tf_int8_zoo.py (TensorFlow fake-quantized QAT-style graphs, frozen and SavedModel),
built and cached on first use.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "frontends" / "onnx"))
sys.path.insert(0, str(ROOT / "tests" / "frontends" / "tensorflow"))

import int8_zoo  # noqa: E402
import tf_int8_zoo  # noqa: E402

import irforge  # noqa: E402

MARKER_BEGIN = "<!-- int8_sizes begin -->"
MARKER_END = "<!-- int8_sizes end -->"
HEAVY_LAYERS = ("Convolution", "FullyConnected", "MatMul", "GroupConvolution")


def irforge_bin(model: Path | dict, out: Path, **options) -> Path:
    """Convert `model` (a path, or the convert_model options that name the model) and save the IR in `out`."""
    source = model if isinstance(model, dict) else {"input_model": str(model)}
    graph = irforge.convert_model(**source, **options)
    xml, binp = irforge.save_model(graph, out / "model.xml")
    return xml


def openvino_bin(model: Path, out: Path) -> Path | None:
    import openvino as ov
    try:
        converted = ov.convert_model(str(model))
    except Exception as e:  # noqa: BLE001 - OpenVINO cannot convert some QOperator models
        print(f"  openvino.convert_model failed: {str(e).splitlines()[-1][:100]}", file=sys.stderr)
        return None
    xml = out / "model.xml"
    ov.save_model(converted, str(xml))   # its default: compress_to_fp16=True
    return xml


def int8_layers(xml: Path) -> str:
    """'k/n': how many of the n convolution / dense layers the CPU plugin runs in u8/i8."""
    import openvino as ov
    core = ov.Core()
    compiled = core.compile_model(core.read_model(str(xml)), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    kinds = []
    for op in compiled.get_runtime_model().get_ordered_ops():
        rt = op.get_rt_info()
        if rt["layerType"].astype(str) in HEAVY_LAYERS:
            kinds.append(rt["runtimePrecision"].astype(str) in ("u8", "i8"))
    return f"{sum(kinds)}/{len(kinds)}"


def measure(name: str, fmt: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        fp32 = irforge_bin(int8_zoo.float_model(name), tmp / "fp32").with_suffix(".bin").stat().st_size
        quantized = int8_zoo.quantized_model(name, fmt)
        xml = irforge_bin(quantized, tmp / "int8")
        ours = xml.with_suffix(".bin").stat().st_size
        expanded = irforge_bin(quantized, tmp / "expanded", disable_weights_compression=True
                               ).with_suffix(".bin").stat().st_size
        ov_xml = openvino_bin(quantized, tmp / "ov")
        theirs = ov_xml.with_suffix(".bin").stat().st_size if ov_xml else None
        return {"model": name, "format": fmt, "fp32": fp32, "ours": ours, "expanded": expanded, "openvino": theirs,
                "int8_ours": int8_layers(xml), "int8_openvino": int8_layers(ov_xml) if ov_xml else "-"}


def tf_source(path: Path, fmt: str) -> dict:
    return {"input_model": str(path)} if fmt == "frozen" else {"input_model": None, "saved_model_dir": str(path)}


def measure_tf(name: str, quantization: str, fmt: str) -> dict:
    case = tf_int8_zoo.case(name, quantization)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        qat = tf_source(case.model("qat", fmt), fmt)
        fp32 = irforge_bin(tf_source(case.model("fp32", fmt), fmt), tmp / "fp32").with_suffix(".bin").stat().st_size
        xml = irforge_bin(qat, tmp / "int8")
        ours = xml.with_suffix(".bin").stat().st_size
        expanded = irforge_bin(qat, tmp / "expanded", disable_weights_compression=True)
        expanded = expanded.with_suffix(".bin").stat().st_size
        ov_xml = openvino_bin(case.model("qat", fmt), tmp / "ov")
        theirs = ov_xml.with_suffix(".bin").stat().st_size if ov_xml else None
        return {"model": f"TF {name} ({fmt.replace('_', ' ')})",
                "format": f"fake-quant {quantization.replace('_', ' ')}",
                "fp32": fp32, "ours": ours, "expanded": expanded, "openvino": theirs,
                "int8_ours": int8_layers(xml), "int8_openvino": int8_layers(ov_xml) if ov_xml else "-"}


def table(rows: list[dict]) -> str:
    lines = ["| model | quantization | FP32 IR .bin | irforge INT8 .bin | ratio to FP32 | expanded (--disable_weights_compression) "
             "| openvino.convert_model .bin | INT8 layers irforge / OpenVINO |",
             "|---|---|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        ov = f"{r['openvino']:,}" if r["openvino"] else "fails to convert"
        lines.append(f"| {r['model']} | {r['format']} | {r['fp32']:,} | {r['ours']:,} | {r['ours'] / r['fp32']:.3f} "
                     f"| {r['expanded']:,} | {ov} | {r['int8_ours']} / {r['int8_openvino']} |")
    return "\n".join(lines)


def tf_version() -> str:
    import importlib.metadata
    for dist in ("tensorflow-cpu", "tensorflow"):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return "?"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default=",".join(int8_zoo.FLOAT_MODELS))
    parser.add_argument("--formats", default=",".join(int8_zoo.FORMATS))
    parser.add_argument("--tf-models", default=",".join(tf_int8_zoo.MODELS), help="TensorFlow QAT models ('' for none)")
    parser.add_argument("--write", help="update the INT8 section of this markdown file")
    args = parser.parse_args()
    rows = []
    for name in filter(None, args.models.split(",")):
        for fmt in args.formats.split(","):
            rows.append(measure(name, fmt))
            print(table(rows[-1:]).splitlines()[-1], flush=True)
    for name in filter(None, args.tf_models.split(",")):
        for quantization in tf_int8_zoo.QUANTIZATIONS:
            for fmt in tf_int8_zoo.FORMATS:
                rows.append(measure_tf(name, quantization, fmt))
                print(table(rows[-1:]).splitlines()[-1], flush=True)
    text = table(rows)
    print(text)
    if args.write:
        import openvino
        import onnxruntime
        path = Path(args.write)
        doc = path.read_text() if path.exists() else ""
        section = (f"{MARKER_BEGIN}\n## INT8 IR sizes (bench/int8_sizes.py)\n\n"
                   f"Quantized by onnxruntime {onnxruntime.__version__} (tests/frontends/onnx/int8_zoo.py: random "
                   f"weights, 64x64 inputs (the recogniser 16x64), calibrated on 16 random inputs); OpenVINO {openvino.__version__}, whose "
                   f"`save_model` compresses to fp16 by default. Bytes of the .bin. \"INT8 layers\": convolutions and "
                   f"dense layers the CPU plugin runs in u8/i8 (runtime precision of the compiled model); dynamic "
                   f"quantization computes its scales at run time, so the plugin runs it in float. The TF rows: "
                   f"quantization-aware-training-style graphs of TensorFlow {tf_version()} "
                   f"(tests/frontends/tensorflow/tf_int8_zoo.py: FakeQuantWithMinMaxVars[PerChannel] on weights, "
                   f"symmetric, narrow range; on activations, 256 levels; random weights; cnn 32x32, resnet a half-width "
                   f"ResNet-18 at 64x64), the FP32 IR from the "
                   f"same graph without fake quantization.\n\n{text}\n"
                   f"{MARKER_END}")
        if MARKER_BEGIN in doc:
            doc = doc[:doc.index(MARKER_BEGIN)] + section + doc[doc.index(MARKER_END) + len(MARKER_END):]
        else:
            doc = doc.rstrip() + "\n\n" + section + "\n"
        path.write_text(doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
