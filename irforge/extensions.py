"""`--extensions`: translators for ops irforge does not know, brought in by the user as Python files.

An extension is a .py file (or a directory of them) that defines, per framework, a table in the same form as the
frontend's own, with translators that take the same node object the built-in ones take:

    # my_ops.py            mo --input_model model.onnx --extensions my_ops.py
    from irforge import ops

    def my_swish(node):                         # an OnnxNode: node.input(i), node.attr(name, default), node.out(...)
        x = node.input(0)
        return [node.out(ops.Multiply(), x, node.out(ops.Sigmoid(), x))]

    ONNX_OPS = {"com.example::MySwish": my_swish}     # op type, or "domain::OpType" outside the default domain

The tables a file may define: ONNX_OPS, TENSORFLOW_OPS (TfNode), CAFFE_LAYERS (LayerContext) and MXNET_OPS (MxNode).
An extension entry overrides irforge's own for that op. The legacy tool's extensions (Python classes registered
with its graph framework, or .so libraries) cannot be loaded: they are rejected with that reason.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Callable

from irforge.errors import OptionError

# framework (as frontends name themselves) -> the table name an extension file defines for it
TABLES = {"onnx": "ONNX_OPS", "tensorflow": "TENSORFLOW_OPS", "caffe": "CAFFE_LAYERS", "mxnet": "MXNET_OPS"}
EXPECTED = "a .py file (or a directory of them) defining " + ", ".join(TABLES.values())


def extension_table(paths: list[str], framework: str) -> dict[str, Callable]:
    """The translators the extension files give for this framework (later files win)."""
    table: dict[str, Callable] = {}
    if not paths:
        return table
    if framework not in TABLES:
        raise OptionError("--extensions", ",".join(paths), "no --extensions for this framework",
                          reason=f"the {framework} frontend reads its components with its own parser and takes no "
                                 f"extension translators")
    for path in _files(paths):
        module = _load(path)
        entries = getattr(module, TABLES[framework], None)
        if entries is None:
            continue
        if not isinstance(entries, dict) or not all(isinstance(k, str) and callable(v) for k, v in entries.items()):
            raise OptionError("--extensions", str(path), f"{TABLES[framework]} = {{op type: translator function}}",
                              reason=f"{TABLES[framework]} is not a dict of op names to functions")
        table.update(entries)
    return table


def _files(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        legacy = path.suffix == ".so" or any((path / sub).is_dir() for sub in ("front", "middle", "back", "ops"))
        if legacy:
            raise OptionError("--extensions", raw, EXPECTED, reason="extensions of the legacy Model Optimizer "
                              "(its graph classes, or compiled libraries) cannot be loaded by irforge")
        if path.is_dir():
            found = sorted(p for p in path.glob("*.py") if not p.name.startswith("_"))
            if not found:
                raise OptionError("--extensions", raw, EXPECTED, reason="the directory holds no .py file")
            files += found
        elif path.suffix == ".py" and path.is_file():
            files.append(path)
        else:
            raise OptionError("--extensions", raw, EXPECTED, reason="no such file or directory"
                              if not path.exists() else "not a .py file")
    return files


def _load(path: Path):
    name = f"irforge_extension_{abs(hash(str(path.resolve())))}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise OptionError("--extensions", str(path), EXPECTED, reason="cannot be imported")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as e:  # the user's code: say where it failed, not a traceback of ours
        raise OptionError("--extensions", str(path), EXPECTED,
                          reason=f"importing it failed: {type(e).__name__}: {e}") from None
    sys.modules[name] = module
    return module
