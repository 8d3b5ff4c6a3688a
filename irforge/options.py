"""ConversionOptions: the one typed record of what the user asked for. The CLI and convert_model(**kwargs) both
build it through `ConversionOptions.build`, so a flag and a keyword argument are parsed by the same code."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from irforge.core.element_type import ElementType
from irforge.core.shape import PartialShape, parse_dim
from irforge.errors import OptionError

FRAMEWORKS = ("onnx", "tf", "caffe", "mxnet", "kaldi", "ir")


@dataclass
class InputSpec:
    """One item of --input: a name (or port form), with optional shape, element type and frozen value."""

    name: str
    shape: PartialShape | None = None
    element_type: ElementType | None = None
    value: np.ndarray | None = None
    port: int | None = None            # "node:port" (an output port) or "port:node" (an input port)
    port_is_input: bool = False


@dataclass
class ConversionOptions:
    # -- the model ------------------------------------------------------------------------------------------------
    input_model: str | None = None
    framework: str | None = None
    # -- outputs of the conversion --------------------------------------------------------------------------------
    output_dir: str = "."
    model_name: str | None = None
    # -- inputs, outputs, shapes ----------------------------------------------------------------------------------
    input: list[InputSpec] = field(default_factory=list)
    output: list[str] = field(default_factory=list)
    input_shape: list[PartialShape] = field(default_factory=list)
    batch: int | None = None
    static_shape: bool = False
    keep_shape_ops: bool = False
    freeze_placeholder_with_value: dict[str, np.ndarray] = field(default_factory=dict)
    # -- embedded preprocessing -----------------------------------------------------------------------------------
    mean_values: dict[str, list[float]] = field(default_factory=dict)   # "" = every input
    scale_values: dict[str, list[float]] = field(default_factory=dict)
    scale: float | None = None
    reverse_input_channels: bool = False
    layout: dict[str, tuple[str, str]] = field(default_factory=dict)   # name -> (source, target)
    source_layout: dict[str, str] = field(default_factory=dict)
    target_layout: dict[str, str] = field(default_factory=dict)
    # -- precision and optimization -------------------------------------------------------------------------------
    data_type: str = "FP32"
    compress_to_fp16: bool = False
    disable_weights_compression: bool = False
    disable_fusing: bool = False
    disable_gfusing: bool = False
    disable_resnet_optimization: bool = False
    finegrain_fusing: list[str] = field(default_factory=list)
    transform: str | None = None
    extensions: list[str] = field(default_factory=list)
    transformations_config: str | None = None
    # -- reporting ------------------------------------------------------------------------------------------------
    log_level: str = "ERROR"
    silent: bool = False
    progress: bool = False
    stream_output: bool = False
    # -- Caffe --------------------------------------------------------------------------------------------------
    input_proto: str | None = None
    mean_file: str | None = None
    mean_file_offsets: tuple[int, int] | None = None
    disable_omitting_optional: bool = False
    enable_flattening_nested_params: bool = False
    # -- TensorFlow ---------------------------------------------------------------------------------------------
    input_model_is_text: bool = False
    saved_model_dir: str | None = None
    saved_model_tags: list[str] = field(default_factory=list)
    input_meta_graph: str | None = None
    input_checkpoint: str | None = None
    tensorboard_logdir: str | None = None
    # -- MXNet --------------------------------------------------------------------------------------------------
    input_symbol: str | None = None
    nd_prefix_name: str | None = None
    pretrained_model_name: str | None = None
    save_params_from_nd: bool = False
    legacy_mxnet_model: bool = False
    enable_ssd_gluoncv: bool = False
    # -- Kaldi --------------------------------------------------------------------------------------------------
    counts: str | None = None
    remove_output_softmax: bool = False
    remove_memory: bool = False
    debug: bool = False

    @classmethod
    def build(cls, input_model: Any = None, **kwargs: Any) -> ConversionOptions:
        """Options from keyword arguments: each value may be given as the CLI writes it (a string) or as a
        Python value (list, tuple, dict, bool)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise OptionError(unknown[0], kwargs[unknown[0]], "one of the documented options (see `mo --help`)")
        opts = cls(input_model=None if input_model is None else str(input_model))
        for key, value in kwargs.items():
            if value is None:
                continue
            parser = _PARSERS.get(key)
            setattr(opts, key, parser(value) if parser else value)
        opts.validate()
        return opts

    @property
    def fp16(self) -> bool:
        return self.compress_to_fp16 or self.data_type.upper() in ("FP16", "HALF")

    def validate(self) -> None:
        if self.framework is not None and self.framework not in FRAMEWORKS:
            raise OptionError("--framework", self.framework, "one of " + ", ".join(FRAMEWORKS))
        if self.data_type.upper() not in ("FP16", "FP32", "HALF", "FLOAT"):
            raise OptionError("--data_type", self.data_type, "FP16, FP32, half or float")
        if self.batch is not None and self.batch <= 0:
            raise OptionError("--batch", self.batch, "a positive integer")
        if self.batch is not None and (self.input_shape or any(s.shape is not None for s in self.input)):
            raise OptionError("--batch", self.batch, "either --batch or shapes in --input_shape/--input, not both "
                              "(the legacy Model Optimizer rejects this combination too)")
        if self.log_level.upper() not in ("CRITICAL", "ERROR", "WARN", "WARNING", "INFO", "DEBUG", "NOTSET"):
            raise OptionError("--log_level", self.log_level, "CRITICAL, ERROR, WARN, WARNING, INFO, DEBUG or NOTSET")


# -- value parsers (shared by the CLI and the Python API) ------------------------------------------------------------
_SHAPE = re.compile(r"[\[(]([^\])]*)[\])]")


def parse_shape(text: str, option: str = "--input_shape") -> PartialShape:
    """"[1,3,224,224]", "(1,3,?,-1)", "[1..10,3]" or "1,3,224,224"."""
    body = text.strip()
    m = _SHAPE.fullmatch(body)
    if m:
        body = m.group(1)
    body = body.strip()
    if not body:
        return PartialShape(())
    try:
        return PartialShape(parse_dim(d) for d in re.split(r"[,\s]+", body) if d)
    except ValueError:
        raise OptionError(option, text, "a shape such as [1,3,224,224]; a dim may be -1, ? or a range 1..10") \
            from None


def parse_input_shapes(value: Any) -> list[PartialShape]:
    """One shape or several: "[1,3,224,224],[1,10]", a list of ints, or a list of shapes."""
    if isinstance(value, PartialShape):
        return [value]
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, int) for v in value):
            return [PartialShape(value)]
        return [v if isinstance(v, PartialShape) else PartialShape(v) if isinstance(v, (list, tuple))
                else parse_shape(str(v)) for v in value]
    text = str(value).strip()
    parts = re.findall(r"[\[(][^\])]*[\])]", text)
    if not parts:
        return [parse_shape(text)]
    if re.sub(r"[\[(][^\])]*[\])]", "", text).replace(",", "").strip():
        raise OptionError("--input_shape", text, "shapes in brackets separated by commas, e.g. [1,3,224,224],[1,10]")
    return [parse_shape(p) for p in parts]


def parse_inputs(value: Any) -> list[InputSpec]:
    """--input: comma-separated names, each optionally with [shape]."""
    if isinstance(value, (list, tuple)) and all(isinstance(v, InputSpec) for v in value):
        return list(value)
    items = value if isinstance(value, (list, tuple)) else re.findall(r"[^,\[]+(?:\[[^\]]*\])?", str(value))
    specs = []
    for item in items:
        item = str(item).strip().lstrip(",")
        m = re.fullmatch(r"([^\[]+)(\[[^\]]*\])?", item)
        if not m:
            raise OptionError("--input", item, "a name, optionally with a shape: data[1,3,224,224]")
        specs.append(InputSpec(m.group(1).strip(), parse_shape(m.group(2), "--input") if m.group(2) else None))
    return specs


def parse_names(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [v.strip() for v in str(value).split(",") if v.strip()]


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise OptionError("flag", value, "true or false")


def parse_offsets(value: Any) -> tuple[int, int]:
    """--mean_file_offsets: "(x,y)", "[x,y]" or "x,y" (two non-negative integers)."""
    if isinstance(value, (tuple, list)):
        items = list(value)
    else:
        items = [v for v in re.split(r"[,\s]+", str(value).strip().strip("()[]")) if v]
    try:
        x, y = (int(v) for v in items)
    except ValueError:
        raise OptionError("--mean_file_offsets", value, "two integers such as (16,16)") from None
    if x < 0 or y < 0:
        raise OptionError("--mean_file_offsets", value, "non-negative offsets")
    return x, y


_PARSERS = {
    "input": parse_inputs,
    "input_shape": parse_input_shapes,
    "output": parse_names,
    "extensions": parse_names,
    "saved_model_tags": parse_names,
    "finegrain_fusing": parse_names,
    "batch": lambda v: int(v) if str(v).lstrip("-").isdigit() else (_ for _ in ()).throw(
        OptionError("--batch", v, "a positive integer")),
    "compress_to_fp16": parse_bool,
    "static_shape": parse_bool,
    "mean_file_offsets": parse_offsets,
}
