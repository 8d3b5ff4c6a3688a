"""The IR-quality corpus: the ONNX zoo's "light" models with random weights, and torchvision classifiers
exported with torch.onnx.export(dynamo=False) at small input sizes. Each model is built once and cached under
${IRFORGE_TEST_CACHE:-~/.cache/irforge/test-models}/bench/, keyed by what produced it."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

CACHE = Path(os.environ.get("IRFORGE_TEST_CACHE", Path.home() / ".cache/irforge/test-models")) / "bench"

LIGHT = ("bvlc_alexnet", "densenet121", "inception_v1", "inception_v2", "resnet50", "shufflenet", "squeezenet",
         "vgg19", "zfnet512")

# name -> input size (small, so a benchmark run stays short on a shared 2-core machine)
TORCHVISION = {
    "resnet50": 112, "mobilenet_v2": 112, "mobilenet_v3_large": 112, "efficientnet_b0": 112,
    "densenet121": 112, "googlenet": 112, "shufflenet_v2_x1_0": 112, "squeezenet1_1": 112,
    "regnet_y_400mf": 112, "convnext_tiny": 112,
}


def light_model(name: str) -> Path:
    """The light model with each ConstantOfShape weight replaced by a seeded random initializer (the zoo's light
    copies store weights as ConstantOfShape(0) so they stay small; zeros would make every output equal)."""
    import onnx
    from onnx import numpy_helper
    out = CACHE / f"light_{name}-random2-{onnx.__version__}.onnx"
    if out.exists():
        return out
    src = Path(onnx.__file__).parent / "backend/test/data/light" / f"light_{name}.onnx"
    model = onnx.load(str(src))
    rng = np.random.default_rng(0)
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    keep = []
    for node in model.graph.node:
        if node.op_type != "ConstantOfShape":
            keep.append(node)
            continue
        shape = [int(d) for d in inits[node.input[0]]]
        # Scaled like a trained net (fan-in) so activations stay finite; BN variances must be positive.
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 1
        value = rng.standard_normal(shape).astype(np.float32) / float(np.sqrt(max(fan_in, 1)))
        if len(shape) == 1:
            value = rng.uniform(0.5, 1.5, shape).astype(np.float32)
        model.graph.initializer.append(numpy_helper.from_array(value, node.output[0]))
    del model.graph.node[:]
    model.graph.node.extend(keep)
    used = {i for n in model.graph.node for i in n.input}
    live = [i for i in model.graph.initializer if i.name in used]
    del model.graph.initializer[:]
    model.graph.initializer.extend(live)
    # IR 3 listed every weight as a graph input too: keep only the real (data) inputs.
    weights = {i.name for i in live}
    data_inputs = [i for i in model.graph.input if i.name in used and i.name not in weights]
    del model.graph.input[:]
    model.graph.input.extend(data_inputs)
    model.ir_version = max(model.ir_version, 4)   # initializers need not be graph inputs from IR 4 on
    onnx.checker.check_model(model)
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    onnx.save(model, str(tmp))
    tmp.rename(out)
    return out


def torchvision_model(name: str) -> Path:
    """torchvision classifier with seeded random weights, exported by the TorchScript exporter, opset 17.
    torchvision initialises biases to zero and norms to identity; like a trained model, every bias, BatchNorm
    statistic and norm scale / shift here is random instead, so no converter gets to drop them as no-ops."""
    import torch
    import torchvision
    size = TORCHVISION[name]
    out = CACHE / f"tv_{name}-{size}-random2-torch{torch.__version__}-tv{torchvision.__version__}.onnx"
    if out.exists():
        return out
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(weights=None)
    if name == "googlenet":
        model = torchvision.models.googlenet(weights=None, aux_logits=False, init_weights=True)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 2.0)
            if isinstance(m, (torch.nn.modules.batchnorm._BatchNorm, torch.nn.LayerNorm, torch.nn.GroupNorm)):
                m.weight.uniform_(0.5, 1.5)
            if getattr(m, "bias", None) is not None and isinstance(m.bias, torch.nn.Parameter):
                m.bias.uniform_(-0.2, 0.2)
    model.eval()
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.onnx")
    x = torch.randn(1, 3, size, size)
    torch.onnx.export(model, (x,), str(tmp), dynamo=False, opset_version=17, input_names=["input"],
                      output_names=["logits"])
    tmp.rename(out)
    return out


def corpus() -> dict[str, Path]:
    models = {f"light_{n}": light_model(n) for n in LIGHT}
    models.update({f"tv_{n}": torchvision_model(n) for n in TORCHVISION})
    return models


if __name__ == "__main__":
    for name, path in corpus().items():
        print(f"{name:28s} {path.stat().st_size / 1e6:8.1f} MB  {path}")
