"""The OpenVINO runtime behind `irforge infer --device CPU` (the default device is irforge's reference runtime).
Its own module so that the array and the Kaldi-archive paths of `infer` share it without importing each other."""
from __future__ import annotations

from irforge.errors import OptionError


def openvino_request(model: str, device: str):
    """The OpenVINO runtime on `model` (f32 precision): (compiled model, one infer request that keeps state)."""
    try:
        import openvino as ov
    except ImportError:
        raise OptionError("--device", device, "reference, or install openvino for CPU") from None
    core = ov.Core()
    compiled = core.compile_model(core.read_model(model), device.upper(), {"INFERENCE_PRECISION_HINT": "f32"})
    return compiled, compiled.create_infer_request()
