"""Real CNN / transformer classifiers as ONNX files for the model tests and bench/convert.py.

Two sources, both built from nothing on this machine:
- the nine "light" models the onnx package ships (onnx/backend/test/data/light): real architectures whose
  weights are ConstantOfShape nodes repeating 0.02. Such weights make every channel equal and the final softmax
  degenerate, so `light_model` swaps each one for a seeded random initializer of the same shape.
- torchvision classifiers with seeded random weights (BatchNorm running statistics randomised too, so BN is no
  identity), exported by torch's TorchScript exporter (dynamo=False: the dynamo exporter needs onnxscript).
  Exports are cached under ${IRFORGE_TEST_CACHE:-~/.cache/irforge/test-models}/onnx/, keyed by the model name,
  the torch / torchvision versions and the export settings, and rebuilt when absent.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper

LIGHT_MODELS = ("bvlc_alexnet", "densenet121", "inception_v1", "inception_v2", "resnet50", "shufflenet",
                "squeezenet", "vgg19", "zfnet512")
EXPORT_OPSET = 17   # LayerNormalization (convnext, vit, swin) is an ONNX op from opset 17 on
SEED = 0
RECIPE = 2          # bump when the way weights are randomised changes: the cache key carries it


def light_path(name: str) -> Path:
    return Path(onnx.__file__).parent / "backend" / "test" / "data" / "light" / f"light_{name}.onnx"


def cache_dir() -> Path:
    root = os.environ.get("IRFORGE_TEST_CACHE") or os.path.expanduser("~/.cache/irforge/test-models")
    path = Path(root) / "onnx"
    path.mkdir(parents=True, exist_ok=True)
    return path


# -- light models with random weights ---------------------------------------------------------------------------
def _consumers(graph: onnx.GraphProto) -> dict[str, list[tuple[onnx.NodeProto, int]]]:
    uses: dict[str, list[tuple[onnx.NodeProto, int]]] = {}
    for node in graph.node:
        for i, name in enumerate(node.input):
            uses.setdefault(name, []).append((node, i))
    return uses


def _random_weight(shape: tuple[int, ...], role: tuple[str, int], rng: np.random.Generator) -> np.ndarray:
    """A weight of this shape for the input slot it feeds: He scale for conv / dense weights, small biases,
    BatchNorm scales near 1 and variances positive, so activations keep an O(1) scale through deep nets."""
    op_type, index = role
    if op_type in ("Conv", "Gemm", "MatMul") and index == 1 and len(shape) >= 2:
        fan_in = int(np.prod(shape[1:])) if op_type == "Conv" else int(shape[0] if op_type == "MatMul" else shape[1])
        return rng.normal(0.0, np.sqrt(2.0 / fan_in), shape).astype(np.float32)
    if op_type == "BatchNormalization":
        if index == 1:                                   # scale
            return rng.uniform(0.5, 1.5, shape).astype(np.float32)
        if index == 4:                                   # variance: positive
            return rng.uniform(0.5, 2.0, shape).astype(np.float32)
        return rng.normal(0.0, 0.1, shape).astype(np.float32)   # bias, mean
    if op_type == "Mul":                                 # densenet / inception_v2 spell BN scales as Mul
        return rng.uniform(0.5, 1.5, shape).astype(np.float32)
    return rng.normal(0.0, 0.05, shape).astype(np.float32)      # biases and the rest


def light_model(name: str, seed: int = SEED, expose_logits: bool = True) -> onnx.ModelProto:
    """The shipped light model with every ConstantOfShape-made weight replaced by a seeded random initializer.
    With `expose_logits`, the input of a final Softmax becomes a second graph output: random weights may
    saturate the softmax, and the logits then still carry the comparison."""
    model = onnx.load(str(light_path(name)))
    graph = model.graph
    rng = np.random.default_rng(seed)
    inits = {t.name: t for t in graph.initializer}
    uses = _consumers(graph)
    kept = []
    new_inits = []
    for node in graph.node:
        if node.op_type != "ConstantOfShape" or node.input[0] not in inits:
            kept.append(node)
            continue
        shape = tuple(int(d) for d in numpy_helper.to_array(inits[node.input[0]]).reshape(-1))
        consumer, index = uses[node.output[0]][0]
        new_inits.append(numpy_helper.from_array(_random_weight(shape, (consumer.op_type, index), rng),
                                                 node.output[0]))
    del graph.node[:]
    graph.node.extend(kept)
    graph.initializer.extend(new_inits)
    # Shape tensors of the removed nodes are no longer used: drop them (and their graph inputs).
    used = {i for n in graph.node for i in n.input}
    dead = {t.name for t in graph.initializer if t.name not in used and t.name.endswith("__SHAPE")}
    keep_inits = [t for t in graph.initializer if t.name not in dead]
    del graph.initializer[:]
    graph.initializer.extend(keep_inits)
    inputs = [i for i in graph.input if i.name not in dead]
    del graph.input[:]
    graph.input.extend(inputs)
    if expose_logits:
        _expose_softmax_input(graph)

    return model


def _expose_softmax_input(graph: onnx.GraphProto) -> None:
    outputs = {o.name for o in graph.output}
    for node in graph.node:
        if node.op_type == "Softmax" and node.output[0] in outputs:
            graph.output.append(helper.make_tensor_value_info(node.input[0], onnx.TensorProto.FLOAT, None))


# -- torchvision exports ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TorchModel:
    name: str                                       # torchvision.models builder name
    size: int = 64                                  # square input side
    kwargs: dict = field(default_factory=dict)      # builder arguments
    heavy: bool = True                              # excluded from the default test run

    @property
    def input_shape(self) -> tuple[int, int, int, int]:
        return (1, 3, self.size, self.size)


TORCH_MODELS: dict[str, TorchModel] = {m.name: m for m in (
    TorchModel("resnet50", heavy=False),
    TorchModel("mobilenet_v2", heavy=False),
    TorchModel("mobilenet_v3_large"),
    TorchModel("efficientnet_b0"),
    TorchModel("densenet121"),
    TorchModel("inception_v3", size=80, kwargs={"aux_logits": False, "init_weights": False}),
    TorchModel("googlenet", kwargs={"aux_logits": False, "init_weights": True}),
    TorchModel("shufflenet_v2_x1_0"),
    TorchModel("squeezenet1_1", heavy=False),
    TorchModel("regnet_y_400mf"),
    TorchModel("convnext_tiny"),
    TorchModel("vit_b_16", size=32, kwargs={"image_size": 32}),
    TorchModel("swin_t"),
    # A four-layer ViT (torchvision's VisionTransformer class, small widths): the transformer path in the
    # default run (patch conv, class token, LayerNormalization, multi-head attention, erf GELU) at a tiny cost.
    TorchModel("vit_tiny", size=32, kwargs={"image_size": 32, "patch_size": 8, "num_layers": 4, "num_heads": 4,
                                            "hidden_dim": 64, "mlp_dim": 128}, heavy=False),
)}


def torch_export_path(spec: TorchModel) -> Path:
    import torch
    import torchvision
    args = "-".join(f"{k}={v}" for k, v in sorted(spec.kwargs.items()))
    key = (f"{spec.name}-{spec.size}px-{args or 'default'}-seed{SEED}-r{RECIPE}-opset{EXPORT_OPSET}-legacy"
           f"-torch{torch.__version__}-tv{torchvision.__version__}")
    return cache_dir() / f"{key.replace('+', '_')}.onnx"


def _randomize_batchnorm(model, generator) -> None:
    import torch
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            c = m.num_features
            with torch.no_grad():
                m.running_mean.copy_(torch.randn(c, generator=generator) * 0.1)
                m.running_var.copy_(torch.rand(c, generator=generator) + 0.5)
                if m.weight is not None:
                    m.weight.copy_(torch.rand(c, generator=generator) + 0.5)
                    m.bias.copy_(torch.randn(c, generator=generator) * 0.1)


def _randomize_zero_parameters(model, generator) -> None:
    """Parameters a builder zero-initialises (ViT's head, biases) would hide whatever they multiply or shift:
    small random values instead (1/sqrt(fan_in) for weights, 0.02 for vectors)."""
    import torch
    with torch.no_grad():
        for p in model.parameters():
            if p.numel() and not torch.any(p):
                fan_in = int(np.prod(p.shape[1:])) if p.dim() >= 2 else 50 ** 2
                p.copy_(torch.randn(p.shape, generator=generator) / np.sqrt(fan_in))


def torch_model(name: str) -> Path:
    """The cached ONNX export of a torchvision classifier (exported now when absent)."""
    spec = TORCH_MODELS[name]
    path = torch_export_path(spec)
    if path.exists():
        return path
    import torch
    import torchvision
    torch.manual_seed(SEED)
    if spec.name == "vit_tiny":
        model = torchvision.models.vision_transformer.VisionTransformer(**spec.kwargs).eval()
    else:
        model = getattr(torchvision.models, spec.name)(weights=None, **spec.kwargs).eval()
    _randomize_batchnorm(model, torch.Generator().manual_seed(SEED))
    _randomize_zero_parameters(model, torch.Generator().manual_seed(SEED))
    example = torch.randn(spec.input_shape, generator=torch.Generator().manual_seed(SEED))
    fd, tmp = tempfile.mkstemp(suffix=".onnx", dir=path.parent)
    os.close(fd)
    # The fused attention fast path (aten::_native_multi_head_attention) has no ONNX export: turn it off.
    fastpath = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with torch.no_grad():
            torch.onnx.export(model, (example,), tmp, dynamo=False, opset_version=EXPORT_OPSET,
                              input_names=["input"], output_names=["logits"], do_constant_folding=True)
        os.replace(tmp, path)   # atomic: a concurrent run never reads half a file
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath)
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def model_feeds(model: onnx.ModelProto | str | os.PathLike, seed: int = SEED) -> list[np.ndarray]:
    """Seeded standard-normal inputs for every graph input that is not an initializer."""
    if not isinstance(model, onnx.ModelProto):
        model = onnx.load(str(model), load_external_data=False)
    inits = {t.name for t in model.graph.initializer}
    rng = np.random.default_rng(seed)
    feeds = []
    for i in model.graph.input:
        if i.name in inits:
            continue
        shape = [d.dim_value if d.dim_value > 0 else 1 for d in i.type.tensor_type.shape.dim]
        feeds.append(rng.standard_normal(shape).astype(np.float32))
    return feeds
