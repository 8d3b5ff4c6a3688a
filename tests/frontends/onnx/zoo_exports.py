"""Real transformer and detection / segmentation models with seeded random weights, exported to ONNX for
test_zoo_models.py.

- Hugging Face `transformers` models are built from their config classes (no download: HF_HUB_OFFLINE=1, no
  pretrained weights, no tokenizer), `torch.manual_seed(SEED)`, `.eval()`. A wrapper passes the ONNX inputs to the
  model by keyword (the positional order of `forward` changes between transformers releases) and returns the
  output tensors as a tuple.
- torchvision detection and segmentation models with weights=None, weights_backbone=None. Random weights give
  scores near 1/num_classes, under the default score thresholds, so the specs lower them: the outputs must not
  be empty or the comparison proves nothing.
- torch's TorchScript exporter (dynamo=False: the dynamo exporter needs onnxscript). Exports are cached under
  ${IRFORGE_TEST_CACHE:-~/.cache/irforge/test-models}/onnx-zoo/, keyed by the model name, a hash of its settings,
  the recipe number and the torch / torchvision / transformers versions, and rebuilt when absent.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

SEED = 0
# Bump a family's number when the way its models are built or exported changes: the cache key carries it.
RECIPE = {"transformers": 1, "torchvision": 3}


@dataclass(frozen=True)
class InputSpec:
    """One ONNX input. `dims` name each axis: an int is static, a str is a dynamic axis (exported as such, and
    given a value by the shape set a test runs at). `kind` says what to feed: "float" (standard normal),
    "image" (uniform [0, 1), as torchvision's detection transforms expect), "tokens" (ids in [0, high)),
    "mask" (ones, with a padded tail in every row but the first), "segments" (token type ids in [0, 2))."""

    name: str
    dims: tuple[int | str, ...]
    kind: str = "float"
    high: int = 0


@dataclass(frozen=True)
class ZooModel:
    name: str
    family: str                                   # "transformers" or "torchvision"
    builder: str                                  # name of a function in BUILDERS
    settings: tuple[tuple[str, Any], ...]         # the builder's keyword arguments (part of the cache key)
    inputs: tuple[InputSpec, ...]
    outputs: tuple[str, ...]
    shapes: tuple[dict[str, int], ...]            # values of the dynamic axes: the first is the export shape
    heavy: bool = True
    opset: int = 17
    detection: bool = False                       # outputs are boxes / scores / labels (+ masks) of detections

    def dims_at(self, spec: InputSpec, axes: dict[str, int]) -> tuple[int, ...]:
        return tuple(d if isinstance(d, int) else axes[d] for d in spec.dims)

    @property
    def dynamic_axes(self) -> dict[str, dict[int, str]]:
        return {i.name: {k: d for k, d in enumerate(i.dims) if isinstance(d, str)} for i in self.inputs
                if any(isinstance(d, str) for d in i.dims)}


def cache_dir() -> Path:
    root = os.environ.get("IRFORGE_TEST_CACHE") or os.path.expanduser("~/.cache/irforge/test-models")
    path = Path(root) / "onnx-zoo"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _versions(family: str) -> str:
    """The producing packages' versions, read from their metadata (importing torch or transformers to ask
    would cost seconds on every cached run)."""
    from importlib.metadata import version
    other = "transformers" if family == "transformers" else "torchvision"
    return f"torch{version('torch')}-{other}{version(other)}"


def export_path(spec: ZooModel) -> Path:
    what = repr((spec.builder, spec.settings, spec.inputs, spec.outputs, spec.shapes[0], spec.opset))
    digest = hashlib.sha256(what.encode()).hexdigest()[:12]
    return cache_dir() / f"{spec.name}-{digest}-seed{SEED}-r{RECIPE[spec.family]}-{_versions(spec.family)}.onnx"


# -- feeds --------------------------------------------------------------------------------------------------------
def feeds(spec: ZooModel, axes: dict[str, int] | None = None, seed: int = SEED) -> list[np.ndarray]:
    """Seeded inputs for `spec` at the dynamic-axis values `axes` (default: the export shape)."""
    axes = spec.shapes[0] if axes is None else axes
    rng = np.random.default_rng(seed)
    out = []
    for i in spec.inputs:
        shape = spec.dims_at(i, axes)
        if i.kind == "tokens":
            out.append(rng.integers(0, i.high, shape).astype(np.int64))
        elif i.kind == "segments":
            out.append(rng.integers(0, 2, shape).astype(np.int64))
        elif i.kind == "mask":
            # Row b keeps its first L - b*L/(2B) positions: padding in every row but the first, never empty.
            mask = np.ones(shape, np.int64)
            batch, length = shape
            for b in range(1, batch):
                mask[b, length - max(1, (b * length) // (2 * batch)):] = 0
            out.append(mask)
        elif i.kind == "image":
            out.append(rng.random(shape, dtype=np.float32))
        else:
            out.append(rng.standard_normal(shape).astype(np.float32))
    return out


# -- building -----------------------------------------------------------------------------------------------------
class _KeywordWrapper:
    """Wraps a transformers model: ONNX inputs by position -> forward keywords; outputs -> a tuple."""

    def __new__(cls, model, names: tuple[str, ...], fixed: dict[str, Any], outputs: tuple[str, ...]):
        import torch

        class Wrapper(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.model = model

            def forward(self, *args):
                result = self.model(**dict(zip(names, args)), **fixed)
                return tuple(result[name] for name in outputs)

        return Wrapper()


def _config(cls_name: str, settings: dict):
    import transformers
    return getattr(transformers, cls_name)(**settings)


def _hf_model(model_cls: str, config_cls: str, **settings):
    import transformers
    config = _config(config_cls, settings)
    return getattr(transformers, model_cls)(config)


def build_bert(**settings):
    return _hf_model("BertModel", "BertConfig", **settings), {}


def build_distilbert(**settings):
    return _hf_model("DistilBertModel", "DistilBertConfig", **settings), {}


def build_gpt2(**settings):
    return _hf_model("GPT2LMHeadModel", "GPT2Config", **settings), {"use_cache": False}


class _GPT2WithPast:
    """GPT-2 as a generation step exports it (Optimum's decoder_with_past): new token ids, the attention mask
    over past + new tokens, and each layer's past keys and values in; logits and the grown keys and values out.
    The flat past tensors are put into the DynamicCache that transformers 5 expects."""

    def __new__(cls, model):
        import torch
        from transformers import DynamicCache
        layers = model.config.n_layer

        class WithPast(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.model = model

            def forward(self, input_ids, attention_mask, *past):
                cache = DynamicCache(config=model.config)
                for i in range(layers):
                    cache.update(past[2 * i], past[2 * i + 1], i)
                out = self.model(input_ids=input_ids, attention_mask=attention_mask, past_key_values=cache,
                                 use_cache=True, return_dict=True)
                present = [t for layer in out.past_key_values.layers for t in (layer.keys, layer.values)]
                return (out.logits, *present)

        return WithPast()


def build_gpt2_with_past(**settings):
    return _GPT2WithPast(_hf_model("GPT2LMHeadModel", "GPT2Config", **settings)), None


def build_t5_encoder(**settings):
    return _hf_model("T5EncoderModel", "T5Config", **settings), {}


class _T5Decoder:
    """T5's decoder stack and LM head alone (as Optimum's decoder_model.onnx): decoder ids, the encoder's hidden
    states and its attention mask -> logits."""

    def __new__(cls, model):
        import torch

        class Decoder(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.model = model

            def forward(self, decoder_input_ids, encoder_hidden_states, encoder_attention_mask):
                return self.model(encoder_outputs=(encoder_hidden_states,), attention_mask=encoder_attention_mask,
                                  decoder_input_ids=decoder_input_ids, use_cache=False, return_dict=True).logits

        return Decoder()


def build_t5_decoder(**settings):
    return _T5Decoder(_hf_model("T5ForConditionalGeneration", "T5Config", **settings)), None


def build_vit(**settings):
    return _hf_model("ViTModel", "ViTConfig", **settings), {}


def build_whisper_encoder(**settings):
    import transformers
    model = transformers.WhisperModel(_config("WhisperConfig", settings))
    return model.get_encoder(), {}


class _DictOutputs:
    """A torchvision model whose forward returns a list of dicts (detection) or a dict (segmentation): the
    tensors under `keys`, as a tuple."""

    def __new__(cls, model, keys: tuple[str, ...], listed: bool):
        import torch

        class Outputs(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.model = model

            def forward(self, image):
                if listed:
                    result = self.model([image])[0]
                else:
                    result = self.model(image)
                return tuple(result[k] for k in keys)

        return Outputs()


def build_torchvision(builder: str, **kwargs):
    import torchvision
    fn = (getattr(torchvision.models.detection, builder, None)
          or getattr(torchvision.models.segmentation, builder))
    return fn(weights=None, weights_backbone=None, **kwargs), None


BUILDERS: dict[str, Callable] = {
    "bert": build_bert, "distilbert": build_distilbert, "gpt2": build_gpt2, "gpt2_with_past": build_gpt2_with_past,
    "t5_encoder": build_t5_encoder,
    "t5_decoder": build_t5_decoder, "vit": build_vit, "whisper_encoder": build_whisper_encoder,
}


def _calibrate_batchnorm(model, spec: ZooModel) -> None:
    """BatchNorm statistics measured on random images like the test's, as training leaves them, and random affine
    parameters.
    Left at torchvision's identity, or drawn at random, the statistics let the activations of deep MobileNet
    backbones collapse to input-independent constants: SSDlite then gave the same 300 scores, with ties, for any
    image, which proves nothing about the conversion."""
    import torch
    generator = torch.Generator().manual_seed(SEED + 1)
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    with torch.no_grad():
        for m in norms:
            c = m.num_features
            m.reset_running_stats()
            m.momentum = None            # a cumulative average over the calibration batch
            if m.weight is not None:
                m.weight.copy_(torch.rand(c, generator=generator) + 0.5)
                m.bias.copy_(torch.randn(c, generator=generator) * 0.1)
            m.train()
        # Images drawn as the test feeds are (other seeds): out-of-distribution inputs blow the outputs up.
        images = [torch.from_numpy(feeds(spec, seed=SEED + 1 + k)[0]) for k in range(4)]
        model(images if spec.detection else torch.cat(images))
    for m in norms:
        m.eval()


def build(spec: ZooModel):
    """The torch module to export, in eval mode, with its seeded random weights."""
    import torch
    torch.manual_seed(SEED)
    settings = dict(spec.settings)
    if spec.family == "transformers":
        model, fixed = BUILDERS[spec.builder](**settings)
        model.eval()
        if fixed is not None:
            model = _KeywordWrapper(model, tuple(i.name for i in spec.inputs), fixed, spec.outputs)
    else:
        model, _ = build_torchvision(spec.builder, **settings)
        model.eval()
        _calibrate_batchnorm(model, spec)
        model = _DictOutputs(model, spec.outputs, listed=spec.detection)
    return model.eval()


def export(spec: ZooModel) -> Path:
    """The cached ONNX export of `spec` (exported now when absent)."""
    path = export_path(spec)
    if path.exists():
        return path
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    model = build(spec)
    example = tuple(torch.from_numpy(a) for a in feeds(spec))
    fd, tmp = tempfile.mkstemp(suffix=".onnx", dir=path.parent)
    os.close(fd)
    try:
        # The tracer warns about every Python-level shape test it freezes (expected with dynamic axes declared).
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, example, tmp, dynamo=False, opset_version=spec.opset,
                              input_names=[i.name for i in spec.inputs], output_names=list(spec.outputs),
                              dynamic_axes=spec.dynamic_axes or None, do_constant_folding=True)
        os.replace(tmp, path)   # atomic: a concurrent run never reads half a file
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


# -- the models ---------------------------------------------------------------------------------------------------
def _text_inputs(vocab: int, segments: bool = False) -> tuple[InputSpec, ...]:
    ids = InputSpec("input_ids", ("batch", "sequence"), "tokens", vocab)
    mask = InputSpec("attention_mask", ("batch", "sequence"), "mask")
    return (ids, mask) + ((InputSpec("token_type_ids", ("batch", "sequence"), "segments"),) if segments else ())


TEXT_SHAPES = ({"batch": 2, "sequence": 16}, {"batch": 1, "sequence": 7}, {"batch": 3, "sequence": 33})
BERT_TINY = (("hidden_size", 64), ("num_hidden_layers", 2), ("num_attention_heads", 4),
             ("intermediate_size", 128), ("vocab_size", 1000), ("max_position_embeddings", 128))
GPT2_TINY = (("n_embd", 64), ("n_layer", 2), ("n_head", 4), ("vocab_size", 1000), ("n_positions", 128),
             ("bos_token_id", 0), ("eos_token_id", 0))
T5_SMALL = (("vocab_size", 32128), ("d_model", 512), ("d_kv", 64), ("d_ff", 2048), ("num_layers", 6),
            ("num_decoder_layers", 6), ("num_heads", 8), ("relative_attention_num_buckets", 32),
            ("relative_attention_max_distance", 128), ("feed_forward_proj", "relu"), ("tie_word_embeddings", True))
WHISPER_TINY = (("vocab_size", 51865), ("num_mel_bins", 80), ("d_model", 384), ("encoder_layers", 4),
                ("encoder_attention_heads", 6), ("encoder_ffn_dim", 1536), ("decoder_layers", 4),
                ("decoder_attention_heads", 6), ("decoder_ffn_dim", 1536), ("max_source_positions", 1500),
                ("max_target_positions", 448))


def _vision(name: str, builder: str, settings: dict, outputs: tuple[str, ...], size: int, heavy: bool = True,
            detection: bool = True) -> ZooModel:
    if detection:
        inputs = (InputSpec("image", (3, size, size), "image"),)
        shapes: tuple[dict[str, int], ...] = ({},)
    else:
        inputs = (InputSpec("input", ("batch", 3, "height", "width")),)
        shapes = ({"batch": 1, "height": size, "width": size}, {"batch": 2, "height": size + 32, "width": size - 16})
    return ZooModel(name, "torchvision", builder, tuple(sorted(settings.items())), inputs, outputs, shapes,
                    heavy=heavy, detection=detection)


ZOO: dict[str, ZooModel] = {m.name: m for m in (
    ZooModel("bert_tiny", "transformers", "bert", BERT_TINY, _text_inputs(1000, segments=True),
             ("last_hidden_state", "pooler_output"), TEXT_SHAPES, heavy=False),
    # BERT-base at full width with 2 of its 12 layers, and the full BERT-base (heavy).
    ZooModel("bert_base_2layers", "transformers", "bert", (("num_hidden_layers", 2),),
             _text_inputs(30522, segments=True), ("last_hidden_state", "pooler_output"), TEXT_SHAPES),
    ZooModel("bert_base", "transformers", "bert", (), _text_inputs(30522, segments=True),
             ("last_hidden_state", "pooler_output"), TEXT_SHAPES),
    ZooModel("distilbert", "transformers", "distilbert", (), _text_inputs(30522), ("last_hidden_state",),
             TEXT_SHAPES),   # distilbert-base: the config class's defaults
    ZooModel("gpt2_tiny", "transformers", "gpt2", GPT2_TINY, _text_inputs(1000), ("logits",), TEXT_SHAPES,
             heavy=False),
    ZooModel("gpt2", "transformers", "gpt2", (), _text_inputs(50257), ("logits",), TEXT_SHAPES),
    # A generation step with the KV cache: past length, new tokens and batch all dynamic (an empty past too).
    ZooModel("gpt2_tiny_with_past", "transformers", "gpt2_with_past", GPT2_TINY,
             (InputSpec("input_ids", ("batch", "sequence"), "tokens", 1000),
              InputSpec("attention_mask", ("batch", "total"), "mask"))
             + tuple(InputSpec(f"past_key_values.{i}.{kv}", ("batch", 4, "past", 16))
                     for i in range(2) for kv in ("key", "value")),
             ("logits",) + tuple(f"present.{i}.{kv}" for i in range(2) for kv in ("key", "value")),
             ({"batch": 2, "sequence": 3, "past": 5, "total": 8}, {"batch": 1, "sequence": 1, "past": 9, "total": 10},
              {"batch": 3, "sequence": 4, "past": 0, "total": 4}), heavy=False),
    ZooModel("t5_small_encoder", "transformers", "t5_encoder", T5_SMALL, _text_inputs(32128),
             ("last_hidden_state",), TEXT_SHAPES),
    ZooModel("t5_small_decoder", "transformers", "t5_decoder", T5_SMALL,
             (InputSpec("decoder_input_ids", ("batch", "target"), "tokens", 32128),
              InputSpec("encoder_hidden_states", ("batch", "source", 512)),
              InputSpec("encoder_attention_mask", ("batch", "source"), "mask")),
             ("logits",), ({"batch": 2, "target": 5, "source": 16}, {"batch": 1, "target": 9, "source": 4})),
    ZooModel("vit", "transformers", "vit", (),        # ViT-B/16 at 224 px: the config class's defaults
             (InputSpec("pixel_values", ("batch", 3, 224, 224)),), ("last_hidden_state", "pooler_output"),
             ({"batch": 1}, {"batch": 2})),
    ZooModel("whisper_tiny_encoder", "transformers", "whisper_encoder", WHISPER_TINY,
             (InputSpec("input_features", ("batch", 80, 3000)),), ("last_hidden_state",),
             ({"batch": 1}, {"batch": 2})),
    # Detectors: small images, and (two-stage ones) a few hundred proposals. Every NMS decision whose IoU lies
    # within float32 noise of the threshold may go either way in any two correct runtimes (torch's own float32
    # and float64 runs disagree on 2 of Mask R-CNN's 1000 default proposals); fewer candidates, fewer such
    # coin flips, and the detections can be compared as exact sets.
    _vision("fasterrcnn_mobilenet_v3_large_fpn", "fasterrcnn_mobilenet_v3_large_fpn",
            {"min_size": 128, "max_size": 128, "box_score_thresh": 0.0, "rpn_pre_nms_top_n_test": 300,
             "rpn_post_nms_top_n_test": 150}, ("boxes", "labels", "scores"), 128, heavy=False),
    _vision("ssdlite320_mobilenet_v3_large", "ssdlite320_mobilenet_v3_large",
            {"score_thresh": 0.001}, ("boxes", "labels", "scores"), 320),
    _vision("retinanet_resnet50_fpn", "retinanet_resnet50_fpn",
            {"min_size": 160, "max_size": 160, "score_thresh": 0.0}, ("boxes", "labels", "scores"), 160),
    _vision("maskrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn",
            {"min_size": 160, "max_size": 160, "box_score_thresh": 0.0, "rpn_pre_nms_top_n_test": 300,
             "rpn_post_nms_top_n_test": 150, "box_detections_per_img": 50}, ("boxes", "labels", "scores", "masks"),
            160),
    _vision("deeplabv3_mobilenet_v3_large", "deeplabv3_mobilenet_v3_large", {"aux_loss": True},
            ("out", "aux"), 96, detection=False),
    _vision("lraspp_mobilenet_v3_large", "lraspp_mobilenet_v3_large", {}, ("out",), 96, detection=False),
)}
