"""irforge: a Model Optimizer. Converts ONNX, TensorFlow, Caffe, MXNet and Kaldi models to OpenVINO IR v11,
and runs IRs with its own numpy reference runtime.

    import irforge
    model = irforge.convert_model("resnet50.onnx")
    irforge.save_model(model, "out/resnet50.xml")
    outputs = irforge.compile_model("out/resnet50.xml")([image])
"""
from irforge.convert import convert_model
from irforge.core.graph import Graph as Model
from irforge.errors import IrforgeError
from irforge.ir.reader import read_model
from irforge.ir.writer import save_model
from irforge.runtime.executor import CompiledModel, compile_model

__version__ = "0.1.0"
__all__ = ["CompiledModel", "IrforgeError", "Model", "compile_model", "convert_model", "read_model", "save_model"]
