"""ConversionOptions: the one typed record of what the user asked for. The CLI and convert_model(**kwargs) both
build it through `ConversionOptions.build`, so a flag and a keyword argument are parsed by the same code
(irforge/option_values.py holds the value grammar), and the combinations the legacy `mo` rejects are rejected
here with the same words."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from functools import partial
from typing import Any, Callable

import numpy as np

from irforge.core.shape import PartialShape
from irforge.errors import OptionError
from irforge.option_values import (
    ChannelValues, InputSpec, LayoutSpec, merge_layouts, parse_bool, parse_channel_values, parse_float,
    parse_freeze_values, parse_input_shapes, parse_inputs, parse_layouts, parse_names, parse_positive_int,
)
from irforge.option_values import parse_offsets

__all__ = ["ChannelValues", "ConversionOptions", "InputSpec", "LayoutSpec"]

FRAMEWORKS = ("onnx", "tf", "caffe", "mxnet", "kaldi", "ir")


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
    freeze_placeholder_with_value: list[InputSpec] = field(default_factory=list)
    # -- embedded preprocessing -----------------------------------------------------------------------------------
    mean_values: list[ChannelValues] = field(default_factory=list)   # named, or by input position
    scale_values: list[ChannelValues] = field(default_factory=list)
    scale: float | None = None
    reverse_input_channels: bool = False
    layout: list[LayoutSpec] = field(default_factory=list)          # --layout (source and/or target)
    source_layout: list[LayoutSpec] = field(default_factory=list)
    target_layout: list[LayoutSpec] = field(default_factory=list)
    # -- precision and optimization -------------------------------------------------------------------------------
    data_type: str = "FP32"
    compress_to_fp16: bool = False
    disable_weights_compression: bool = False
    disable_fusing: bool = False
    disable_gfusing: bool = False
    disable_resnet_optimization: bool = False
    finegrain_fusing: list[str] = field(default_factory=list)
    transform: str = ""
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
        Python value (list, tuple, dict, bool, numpy array). None means "not given"."""
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(kwargs) - set(known))
        if unknown:
            raise OptionError(unknown[0], kwargs[unknown[0]], "one of the documented options (see `mo --help` "
                              "or docs/CLI.md)")
        opts = cls(input_model=None if input_model is None else os.fspath(input_model))
        for key, value in kwargs.items():
            if value is None:
                continue
            parser = _PARSERS.get(key) or (partial(parse_bool, option=f"--{key}") if known[key].type == "bool"
                                           else None)
            setattr(opts, key, parser(value) if parser else value)
        opts.validate()
        return opts

    @property
    def fp16(self) -> bool:
        """Weights stored as f16 (--data_type FP16/half or --compress_to_fp16)."""
        return self.compress_to_fp16 or self.data_type.upper() in ("FP16", "HALF")

    @property
    def layouts(self) -> list[LayoutSpec]:
        """--layout, or --source_layout and --target_layout merged by name."""
        return merge_layouts(self.layout, self.source_layout, self.target_layout)

    @property
    def inputs(self) -> list[InputSpec]:
        """--input items (in order) and then the --freeze_placeholder_with_value items not named in --input."""
        listed = {s.name for s in self.input}
        return list(self.input) + [s for s in self.freeze_placeholder_with_value if s.name not in listed]

    def validate(self) -> None:
        """Single-option checks and the combinations the legacy mo rejects (same words where it had them)."""
        if self.framework is not None and self.framework not in FRAMEWORKS:
            raise OptionError("--framework", self.framework, "one of " + ", ".join(FRAMEWORKS))
        if self.data_type.upper() not in ("FP16", "FP32", "HALF", "FLOAT"):
            raise OptionError("--data_type", self.data_type, "FP16, FP32, half or float")
        if self.log_level.upper() not in LOG_LEVELS:
            raise OptionError("--log_level", self.log_level, ", ".join(LOG_LEVELS))
        if self.model_name is not None and (not self.model_name.strip() or os.sep in self.model_name
                                            or "/" in self.model_name):
            raise OptionError("--model_name", self.model_name, "a file name without folders (NAME gives NAME.xml "
                              "and NAME.bin; use --output_dir for the folder)")
        if os.path.exists(self.output_dir) and not os.path.isdir(self.output_dir):
            raise OptionError("--output_dir", self.output_dir, "a folder (this path is a file)")
        self._check_inputs()
        if self.scale is not None and self.scale_values:
            raise OptionError("--scale", self.scale, "either --scale (every input) or --scale_values (per input), "
                              "not both", reason="the legacy mo silently let --scale win over --scale_values")
        if self.static_shape and self.keep_shape_ops:
            raise OptionError("--static_shape", True, "either --static_shape (fold shape computations) or "
                              "--keep_shape_ops (keep them so the IR stays reshape-able), not both")
        self.layouts  # noqa: B018 - raises when --layout is mixed with --source_layout/--target_layout

    def _check_inputs(self) -> None:
        names = [s.name for s in self.input]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise OptionError("--input", ",".join(repeated), "each input named once")
        shapes_in_input = any(s.shape is not None for s in self.input)
        if self.batch is not None and self.input_shape:
            raise OptionError("--batch", self.batch, "one of --batch and --input_shape",
                              reason="Both --input_shape and --batch were provided. Please provide only one of them")
        if self.batch is not None and shapes_in_input:
            raise OptionError("--batch", self.batch, "one of --batch and shapes in --input",
                              reason="Shapes are specified using both --input and --batch command-line parameters, "
                                     "but only one parameter is allowed")
        if self.input_shape and shapes_in_input:
            raise OptionError("--input_shape", _shapes_text(self.input_shape), "shapes in --input or in "
                              "--input_shape, not both", reason="Shapes are specified using both --input and "
                              "--input_shape command-line parameters, but only one parameter is allowed")
        if self.input_shape and self.input:
            if len(self.input_shape) != len(self.input):
                raise OptionError("--input_shape", _shapes_text(self.input_shape),
                                  f"one shape per --input name ({len(self.input)} names: "
                                  f"{', '.join(names)})")
            for spec, shape in zip(self.input, self.input_shape):  # the legacy pairing: by position
                spec.shape = shape
            self.input_shape = []
        by_name = {s.name: s for s in self.input}
        for frozen in self.freeze_placeholder_with_value:
            spec = by_name.get(frozen.name)
            if spec is None:
                continue
            if spec.value is not None and not np.array_equal(spec.value, frozen.value):
                raise OptionError("--freeze_placeholder_with_value", str(frozen), f"the value --input gives "
                                  f"({spec}) or none", reason=f"Overriding replacement value of the placeholder "
                                  f"with name '{spec.name}'")
            spec.value = frozen.value


LOG_LEVELS = ("CRITICAL", "ERROR", "WARN", "WARNING", "INFO", "DEBUG", "NOTSET")


def _shapes_text(shapes: list[PartialShape]) -> str:
    return ",".join(f"[{s}]" for s in shapes)


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "input": parse_inputs,
    "input_shape": parse_input_shapes,
    "output": partial(parse_names, option="--output"),
    "batch": partial(parse_positive_int, option="--batch"),
    "freeze_placeholder_with_value": parse_freeze_values,
    "mean_values": partial(parse_channel_values, option="--mean_values"),
    "scale_values": partial(parse_channel_values, option="--scale_values"),
    "scale": partial(parse_float, option="--scale", nonzero=True),
    "layout": partial(parse_layouts, option="--layout"),
    "source_layout": partial(parse_layouts, option="--source_layout"),
    "target_layout": partial(parse_layouts, option="--target_layout"),
    "data_type": str,
    "extensions": partial(parse_names, option="--extensions"),
    "saved_model_tags": partial(parse_names, option="--saved_model_tags"),
    "finegrain_fusing": partial(parse_names, option="--finegrain_fusing"),
    "transform": str,
    "output_dir": os.fspath,
    "model_name": str,
    "log_level": str,
    "mean_file_offsets": parse_offsets,
}
