"""MXNet's symbol file (NAME-symbol.json): the graph as nodes in topological order.

    {"nodes": [{"op": "null" | OpName, "name": ..., "attrs": {key: string}, "inputs": [[node, output, version]]}],
     "arg_nodes": [...], "heads": [[node, output, version]], "attrs": {"mxnet_version": ["int", 10901]}}

Files of MXNet < 1.0 keep the operator parameters under "param" and user attributes under "attr" (MXNet 1.x
still loads them), and give inputs as [node, output] pairs; all three spellings are read. Attribute values are
strings as MXNet prints them ("(3, 3)", "True", "1e-05"); MxNode parses them where a translator asks.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from irforge.errors import InputError


@dataclass
class SymbolNode:
    index: int
    op: str                                   # "null" for a variable (input or weight)
    name: str
    attrs: dict[str, str] = field(default_factory=dict)
    inputs: list[tuple[int, int]] = field(default_factory=list)   # (node index, output index)

    @property
    def is_variable(self) -> bool:
        return self.op == "null"


@dataclass
class Symbol:
    nodes: list[SymbolNode]
    heads: list[tuple[int, int]]
    path: str
    version: int | None = None                # mxnet_version, e.g. 10901 for 1.9.1

    def variables(self) -> list[SymbolNode]:
        return [n for n in self.nodes if n.is_variable]


def read_symbol(path: str) -> Symbol:
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise InputError("the MXNet symbol file does not exist (give it with --input_symbol, or put "
                         "NAME-symbol.json beside NAME-0000.params)", path=path) from None
    except OSError as e:
        raise InputError(f"cannot read the symbol file: {e.strerror}", path=path) from None
    try:
        doc = json.loads(raw)
    except UnicodeDecodeError as e:
        raise InputError(f"the symbol file is not UTF-8 text ({e.reason})", path=path, offset=e.start) from None
    except json.JSONDecodeError as e:
        offset = len(raw.decode("utf-8", "replace")[:e.pos].encode("utf-8"))
        raise InputError(f"the symbol file is not valid JSON: {e.msg}", path=path, offset=offset) from None
    return parse_symbol(doc, path)


def parse_symbol(doc: object, path: str = "<symbol>") -> Symbol:
    if not isinstance(doc, dict) or not isinstance(doc.get("nodes"), list):
        raise InputError("not an MXNet symbol file: no \"nodes\" list at the top level", path=path)
    raw_nodes = doc["nodes"]
    nodes = []
    for i, raw in enumerate(raw_nodes):
        if not isinstance(raw, dict) or "op" not in raw or "name" not in raw:
            raise InputError(f"node {i} needs \"op\" and \"name\" (got {str(raw)[:80]})", path=path)
        attrs: dict[str, str] = {}
        for key in ("param", "attr", "attrs"):  # pre-1.0 "param" / "attr"; 1.x "attrs"
            value = raw.get(key)
            if isinstance(value, dict):
                attrs.update({str(k): str(v) for k, v in value.items()})
        inputs = [_entry(e, i, len(raw_nodes), path, f"node {i} ('{raw['name']}') input") for e in raw.get("inputs", [])]
        nodes.append(SymbolNode(i, str(raw["op"]), str(raw["name"]), attrs, inputs))
    heads = [_entry(e, len(raw_nodes), len(raw_nodes), path, "head") for e in doc.get("heads", [])]
    if not heads:
        raise InputError("the symbol has no \"heads\" (its outputs)", path=path)
    version = None
    meta = doc.get("attrs", {})
    if isinstance(meta, dict) and isinstance(meta.get("mxnet_version"), list) and len(meta["mxnet_version"]) == 2:
        version = int(meta["mxnet_version"][1])
    return Symbol(nodes, heads, path, version)


def _entry(entry: object, limit: int, count: int, path: str, what: str) -> tuple[int, int]:
    """[node, output] or [node, output, version]: the node must come before the one that reads it."""
    if not isinstance(entry, list) or len(entry) < 1 or not all(isinstance(v, int) for v in entry):
        raise InputError(f"{what} {entry!r} is not [node, output(, version)]", path=path)
    node, output = entry[0], (entry[1] if len(entry) > 1 else 0)
    if not 0 <= node < min(limit, count):
        raise InputError(f"{what} refers to node {node}, which is not an earlier node", path=path)
    return node, output
