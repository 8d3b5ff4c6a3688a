"""convert_model: options -> frontend -> input/output edits -> optimization pipeline -> Graph."""
from __future__ import annotations

import logging
import os
import time
from typing import Any

from irforge.core.graph import Graph
from irforge.options import ConversionOptions
from irforge.transforms.pipeline import PassReport, conversion_passes, run_passes

log = logging.getLogger("irforge")


def convert_options(options: ConversionOptions, report: PassReport | None = None) -> Graph:
    from irforge.frontends import registry
    passes = conversion_passes(options)  # rejects unimplemented flags before the model is read
    start = time.perf_counter()
    graph = registry.load(options)
    if options.model_name:
        graph.name = options.model_name
    log.info("loaded %s in %.2fs: %d nodes", options.input_model, time.perf_counter() - start, len(graph))
    report = run_passes(graph, passes, report, check=options.debug)
    for name, changes, seconds in report.entries:
        log.debug("pass %-28s %6d changes %8.3fs", name, changes, seconds)
    return graph


def convert_model(input_model: str | os.PathLike, **options: Any) -> Graph:
    """Convert a model file to an irforge Graph (the IR in memory). Keyword arguments are the `mo` flags
    without their dashes (input_shape="[1,3,224,224]", mean_values=..., compress_to_fp16=True, ...)."""
    return convert_options(ConversionOptions.build(input_model, **options))
