"""INT8 IR sizes: irforge's compressed IR (and its --disable_weights_compression expanded IR) against the FP32 IR
of the same model and the IR openvino.convert_model + save_model writes for the same quantized model. Also says
whether OpenVINO's CPU plugin runs the convolutions / dense layers of each IR in INT8 (runtime precision of the
compiled model). Run by hand:

    PYTHONPATH=. python bench/int8_sizes.py [--models resnet18,mobilenet_v2,...] [--write docs/BENCHMARKS.md]

The models come from tests/frontends/onnx/int8_zoo.py (built and cached on first use).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "frontends" / "onnx"))

import int8_zoo  # noqa: E402

import irforge  # noqa: E402

MARKER_BEGIN = "<!-- int8_sizes begin -->"
MARKER_END = "<!-- int8_sizes end -->"
HEAVY_LAYERS = ("Convolution", "FullyConnected", "MatMul", "GroupConvolution")


def irforge_bin(model: Path, out: Path, **options) -> Path:
    graph = irforge.convert_model(str(model), **options)
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


def table(rows: list[dict]) -> str:
    lines = ["| model | quantization | FP32 IR .bin | irforge INT8 .bin | ratio to FP32 | expanded (--disable_weights_compression) "
             "| openvino.convert_model .bin | INT8 layers irforge / OpenVINO |",
             "|---|---|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        ov = f"{r['openvino']:,}" if r["openvino"] else "fails to convert"
        lines.append(f"| {r['model']} | {r['format']} | {r['fp32']:,} | {r['ours']:,} | {r['ours'] / r['fp32']:.3f} "
                     f"| {r['expanded']:,} | {ov} | {r['int8_ours']} / {r['int8_openvino']} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default=",".join(int8_zoo.FLOAT_MODELS))
    parser.add_argument("--formats", default=",".join(int8_zoo.FORMATS))
    parser.add_argument("--write", help="update the INT8 section of this markdown file")
    args = parser.parse_args()
    rows = []
    for name in args.models.split(","):
        for fmt in args.formats.split(","):
            rows.append(measure(name, fmt))
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
                   f"weights, 64x64 inputs, calibrated on 16 random inputs); OpenVINO {openvino.__version__}, whose "
                   f"`save_model` compresses to fp16 by default. Bytes of the .bin. \"INT8 layers\": convolutions and "
                   f"dense layers the CPU plugin runs in u8/i8 (runtime precision of the compiled model); dynamic "
                   f"quantization computes its scales at run time, so the plugin runs it in float.\n\n{text}\n"
                   f"{MARKER_END}")
        if MARKER_BEGIN in doc:
            doc = doc[:doc.index(MARKER_BEGIN)] + section + doc[doc.index(MARKER_END) + len(MARKER_END):]
        else:
            doc = doc.rstrip() + "\n\n" + section + "\n"
        path.write_text(doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
