"""IR v11 writer: NAME.xml (topology) and NAME.bin (weights), deterministic and written atomically.

Layer order follows the OpenVINO serializer: Parameters (input order), other ops in topological order, sinks,
Results (output order). Identical constant byte blobs are stored once. Weights that live in a source file
(FileSlice) are copied as byte ranges, so they are never all in memory at once.
"""
from __future__ import annotations

import hashlib
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import BinaryIO

from irforge.core.element_type import ElementType
from irforge.core.graph import Constant, Graph, Node, Parameter, Result
from irforge.core.shape import PartialShape
from irforge.core.tensor import STREAMED, pack

from .attributes import format_value

IR_VERSION = "11"


class BinWriter:
    """Appends constant blobs to the .bin; a blob equal to one already written reuses its offset."""

    def __init__(self, stream: BinaryIO):
        self.stream = stream
        self.offset = 0
        self.seen: dict[tuple[bytes, int], int] = {}

    def add(self, const: Constant) -> tuple[int, int]:
        if isinstance(const.data, STREAMED):
            return self._add_chunks(const.data.chunks(), const.data.nbytes)
        data = pack(const.array(), const.element_type)
        size = data.nbytes if isinstance(data, memoryview) else len(data)
        key = (hashlib.blake2b(data, digest_size=20).digest(), size)
        if key in self.seen:
            return self.seen[key], size
        self.stream.write(data)
        self.seen[key] = self.offset
        self.offset += size
        return self.seen[key], size

    def _add_chunks(self, chunks, size: int) -> tuple[int, int]:
        """Stream a blob that lives in a file (or is computed in pieces): write while hashing, and take it back
        if it was a duplicate."""
        digest = hashlib.blake2b(digest_size=20)
        for piece in chunks:
            digest.update(piece)
            self.stream.write(piece)
        key = (digest.digest(), size)
        if key in self.seen:
            self.stream.seek(self.offset)
            self.stream.truncate()
            return self.seen[key], size
        self.seen[key] = self.offset
        self.offset += size
        return self.seen[key], size


def escape_names(names: set[str]) -> str:
    """The IR's `names` list: sorted, comma separated, commas inside a name escaped as \\,."""
    return ",".join(n.replace(",", "\\,") for n in sorted(names))


def result_names(result: Node) -> set[str]:
    """A model output's names: the Result's own name when it is one of the tensor's names (the framework output
    name), so the runtime's get_any_name() gives exactly that; else every name of the tensor."""
    names = result.inputs[0].names
    return {result.name} if result.name in names else set(names)


def _dims(port: ET.Element, shape: PartialShape) -> None:
    for d in shape.dims or ():
        ET.SubElement(port, "dim").text = str(d) if isinstance(d, int) else "-1"


def _precision(et: ElementType) -> str:
    return et.port_precision


def layer_order(graph: Graph) -> list[Node]:
    order = graph.topological()
    head = [n for n in order if isinstance(n.op, Parameter)]
    sinks = [n for n in graph.sinks if n in graph.nodes]
    results = [n for n in graph.results]
    tail_ids = {id(n) for n in head + sinks + results}
    middle = [n for n in order if id(n) not in tail_ids]
    return head + middle + sinks + results


def write_graph(graph: Graph, root: ET.Element, bins: BinWriter) -> None:
    """Fill `root` (a <net> or a sub-graph <body>) with <layers> and <edges>."""
    layers = ET.SubElement(root, "layers")
    edges: list[tuple[int, int, int, int]] = []
    ids: dict[int, int] = {}
    for layer_id, node in enumerate(layer_order(graph)):
        ids[id(node)] = layer_id
        op = node.op
        attrs = {"id": str(layer_id), "name": node.name, "type": op.TYPE, "version": op.ir_version()}
        if isinstance(op, Result) and node.inputs[0].names:
            attrs["output_names"] = escape_names(result_names(node))
        layer = ET.SubElement(layers, "layer", attrs)
        if isinstance(op, Constant):
            offset, size = bins.add(op)
            ET.SubElement(layer, "data", {"element_type": op.element_type.value,
                                          "shape": ", ".join(str(d) for d in op.shape),
                                          "offset": str(offset), "size": str(size)})
        elif isinstance(op, Parameter):
            ET.SubElement(layer, "data", {"shape": str(op.shape), "element_type": op.element_type.value})
        else:
            data = {k: format_value(v) for k, v in op.attributes().items()}
            if data:
                ET.SubElement(layer, "data", data)
        extra = getattr(op, "write_ir_children", None)
        if extra is not None:  # sub-graph ops (Loop, If, TensorIterator) write port maps and bodies
            extra(layer, lambda body, elem: write_graph(body, elem, bins))
        if node.rt_info:
            rt = ET.SubElement(layer, "rt_info")
            for key, value in sorted(node.rt_info.items()):
                item = {"name": key, "version": "0"}
                if value:
                    item["value"] = value
                ET.SubElement(rt, "attribute", item)
        port_id = 0
        if node.inputs:
            inputs = ET.SubElement(layer, "input")
            for i, x in enumerate(node.inputs):
                port = ET.SubElement(inputs, "port", {"id": str(port_id), "precision": _precision(x.element_type)})
                _dims(port, x.shape)
                edges.append((ids[id(x.node)], x.index, layer_id, port_id))
                port_id += 1
        if node.outputs:
            outputs = ET.SubElement(layer, "output")
            for out in node.outputs:
                port_attrs = {"id": str(port_id), "precision": _precision(out.element_type)}
                if out.names:
                    port_attrs["names"] = escape_names(out.names)
                port = ET.SubElement(outputs, "port", port_attrs)
                _dims(port, out.shape)
                if out.rt_info:  # after the dims, as the OpenVINO serializer writes it (a Parameter's layout)
                    port_rt = ET.SubElement(port, "rt_info")
                    for key, attrs in sorted(out.rt_info.items()):
                        ET.SubElement(port_rt, "attribute", {"name": key, "version": "0", **attrs})
                port_id += 1
    # Edges name the producer's port id: its inputs come first, so output k is port len(inputs) + k.
    n_inputs = {ids[id(n)]: len(n.inputs) for n in layer_order(graph)}
    edge_root = ET.SubElement(root, "edges")
    for src, out_index, dst, dst_port in sorted(edges):
        ET.SubElement(edge_root, "edge", {"from-layer": str(src), "from-port": str(n_inputs[src] + out_index),
                                          "to-layer": str(dst), "to-port": str(dst_port)})


def _rt_info(parent: ET.Element, info: dict[str, object]) -> None:
    for key in sorted(info):
        value = info[key]
        if isinstance(value, dict):
            _rt_info(ET.SubElement(parent, key), value)
        else:
            ET.SubElement(parent, key, {"value": format_value(value)})


def save_model(graph: Graph, xml_path: str | os.PathLike, compress_to_fp16: bool = False) -> tuple[Path, Path]:
    """Write NAME.xml and NAME.bin. Both go to temporary files first and are renamed into place only when
    complete, so a failure never leaves a half-written IR. Returns the two paths."""
    if compress_to_fp16:
        from irforge.transforms.compress_to_fp16 import compress_to_fp16 as compress
        graph = graph.copy()
        compress(graph)
    xml_path = Path(xml_path)
    if xml_path.suffix != ".xml":
        xml_path = xml_path.with_name(xml_path.name + ".xml")
    bin_path = xml_path.with_suffix(".bin")
    xml_path.parent.mkdir(parents=True, exist_ok=True)
    xml_tmp = xml_path.with_name(xml_path.name + ".tmp")
    bin_tmp = bin_path.with_name(bin_path.name + ".tmp")
    try:
        with open(bin_tmp, "wb") as stream:
            bins = BinWriter(stream)
            net = ET.Element("net", {"name": graph.name, "version": IR_VERSION})
            write_graph(graph, net, bins)
            if bins.seen and bins.offset == 0:
                stream.write(b"\0")  # OpenVINO rejects a 0-byte .bin while any Const exists (even an empty one)
            if graph.rt_info:
                _rt_info(ET.SubElement(net, "rt_info"), graph.rt_info)
        ET.indent(net, space="\t")
        with open(xml_tmp, "wb") as f:
            f.write(b'<?xml version="1.0"?>\n')
            f.write(ET.tostring(net, encoding="utf-8"))
            f.write(b"\n")
        os.replace(bin_tmp, bin_path)
        os.replace(xml_tmp, xml_path)
    finally:
        for tmp in (xml_tmp, bin_tmp):
            if tmp.exists():
                tmp.unlink()
    return xml_path, bin_path
