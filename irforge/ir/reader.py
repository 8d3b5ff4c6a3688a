"""IR reader for v10 and v11 (ours and OpenVINO's): builds a Graph; constants stay in the .bin until used."""
from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

import defusedxml.ElementTree as SafeET

from irforge.core.element_type import ElementType
from irforge.core.graph import Constant, Graph, Node, Output, Parameter, Result
from irforge.core.op import Op
from irforge.core.shape import PartialShape
from irforge.core.tensor import FileSlice
from irforge.errors import InputError, IrforgeError, UnsupportedOps
from irforge.ops.opset import OPSET, find_op

from .attributes import parse_attributes


def split_names(text: str) -> set[str]:
    """The IR `names` list: commas separate names, `\\,` is a comma inside a name."""
    names, current, i = set(), [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] == ",":
            current.append(",")
            i += 2
            continue
        if text[i] == ",":
            names.add("".join(current).strip())
            current = []
        else:
            current.append(text[i])
        i += 1
    names.add("".join(current).strip())
    return {n for n in names if n}


class IRReader:
    def __init__(self, xml_path: Path, bin_path: Path | None, opset: tuple[type[Op], ...] = OPSET):
        self.xml_path = xml_path
        self.bin_path = bin_path
        self.opset = opset
        self.ir_version = 11

    def read(self) -> Graph:
        try:
            root = SafeET.parse(self.xml_path).getroot()
        except ET.ParseError as e:
            raise InputError(f"not a valid IR XML file: {e}", path=str(self.xml_path)) from None
        except OSError as e:
            raise InputError(f"cannot read the IR: {e.strerror}", path=str(self.xml_path)) from None
        if root.tag != "net":
            raise InputError(f"the root element is <{root.tag}>, an IR has <net>", path=str(self.xml_path))
        version = root.get("version", "")
        if version not in ("10", "11"):
            raise InputError(f"IR version {version!r} is not supported (10 and 11 are)", path=str(self.xml_path))
        self.ir_version = int(version)
        graph = self.read_graph(root, root.get("name", "model"))
        rt = root.find("rt_info")
        if rt is not None:
            graph.rt_info = _read_rt(rt)
        return graph

    def read_graph(self, root: ET.Element, name: str) -> Graph:
        layers_elem = root.find("layers")
        edges_elem = root.find("edges")
        if layers_elem is None:
            raise InputError("the IR has no <layers>", path=str(self.xml_path))
        layers = {int(l.get("id", "-1")): l for l in layers_elem.findall("layer")}
        unknown = [(l.get("type", "?"), l.get("name", "?")) for l in layers.values()
                   if find_op(l.get("type", ""), l.get("version", ""), self.opset) is None]
        if unknown:
            raise UnsupportedOps("IR", unknown)
        # to-layer -> {to-port: (from-layer, from-port)}
        incoming: dict[int, dict[int, tuple[int, int]]] = {}
        for e in edges_elem.findall("edge") if edges_elem is not None else []:
            incoming.setdefault(int(e.get("to-layer")), {})[int(e.get("to-port"))] = (
                int(e.get("from-layer")), int(e.get("from-port")))
        graph = Graph(name)
        built: dict[int, Node] = {}

        def output_of(layer_id: int, port_id: int) -> Output:
            node = build(layer_id)
            elem = layers[layer_id]
            out_ports = [int(p.get("id")) for p in elem.findall("output/port")]
            if port_id not in out_ports:
                raise InputError(f"layer '{elem.get('name')}' has no output port {port_id}", path=str(self.xml_path))
            return node.outputs[out_ports.index(port_id)]

        def producers(layer_id: int) -> list[int]:
            elem = layers.get(layer_id)
            if elem is None:
                raise InputError(f"an edge refers to layer id {layer_id}, which does not exist",
                                 path=str(self.xml_path))
            edges = incoming.get(layer_id, {})
            ports = [int(p.get("id")) for p in elem.findall("input/port")]
            for p in ports:
                if p not in edges:
                    raise InputError(f"input port {p} of layer '{elem.get('name')}' has no edge",
                                     path=str(self.xml_path))
            return [edges[p][0] for p in ports]

        def build(layer_id: int) -> Node:
            # An iterative depth-first walk: IRs of deep networks exceed Python's recursion limit.
            if layer_id in built:
                return built[layer_id]
            on_path = {layer_id}
            stack = [(layer_id, iter(producers(layer_id)))]
            while stack:
                current, pending = stack[-1]
                dep = next(pending, None)
                if dep is None:
                    stack.pop()
                    on_path.discard(current)
                    elem = layers[current]
                    edges = incoming.get(current, {})
                    inputs = [output_of(*edges[int(p.get("id"))]) for p in elem.findall("input/port")]
                    built[current] = self.make_node(graph, elem, inputs)
                elif dep in on_path:
                    raise InputError(f"the IR has a cycle through layer '{layers[dep].get('name')}'",
                                     path=str(self.xml_path))
                elif dep not in built:
                    on_path.add(dep)
                    stack.append((dep, iter(producers(dep))))
            return built[layer_id]

        for layer_id, elem in layers.items():
            if elem.get("type") == "Parameter":
                build(layer_id)
        for layer_id, elem in sorted(layers.items(), key=lambda kv: list(layers).index(kv[0])):
            if elem.get("type") in ("Result", "Assign"):
                build(layer_id)
        return graph

    def make_node(self, graph: Graph, elem: ET.Element, inputs: list[Output]) -> Node:
        type_name, name = elem.get("type", ""), elem.get("name", "")
        cls = find_op(type_name, elem.get("version", ""), self.opset)
        assert cls is not None
        data_elem = elem.find("data")
        data = dict(data_elem.attrib) if data_elem is not None else {}
        try:
            if cls is Constant:
                op: Op = self.constant(data, name)
            elif cls is Parameter:
                op = Parameter(ElementType.parse(data.get("element_type", "dynamic")),
                               PartialShape.parse(data.get("shape", "")))
            elif hasattr(cls, "read_ir"):  # sub-graph ops read their port maps and bodies
                op = cls.read_ir(elem, data, lambda body: self.read_graph(body, name))  # type: ignore[attr-defined]
            else:
                op = cls(**parse_attributes(cls, data))
        except (ValueError, TypeError) as e:
            raise InputError(f"layer '{name}' ({type_name}): {e}", path=str(self.xml_path)) from None
        try:
            node = graph.add(op, *inputs, name=name)
        except IrforgeError as e:
            raise InputError(f"layer '{name}' ({type_name}): {e}", path=str(self.xml_path)) from None
        node.name = name  # keep the IR's own names, duplicates included
        for port, out in zip(elem.findall("output/port"), node.outputs):
            if port.get("names"):
                out.names |= split_names(port.get("names", ""))
            port_rt = port.find("rt_info")
            if port_rt is not None and self.ir_version >= 11:  # e.g. a Parameter's layout
                out.rt_info = {a.get("name", ""): {k: v for k, v in a.attrib.items() if k not in ("name", "version")}
                               for a in port_rt.findall("attribute")}
        rt = elem.find("rt_info")
        if rt is not None and self.ir_version >= 11:
            node.rt_info = {a.get("name", ""): a.get("value", "") for a in rt.findall("attribute")}
        if isinstance(op, Parameter):
            graph.parameters.append(node)
            if self.ir_version == 10:
                node.outputs[0].names.add(name)  # v10: the layer name is also a tensor name
        elif isinstance(op, Result):
            if elem.get("output_names"):
                output_names = split_names(elem.get("output_names", ""))
                inputs[0].names |= output_names
                node.name = sorted(output_names)[0]
            elif self.ir_version == 10:
                producer = inputs[0].node
                inputs[0].names.add(producer.name if len(producer.outputs) == 1
                                    else f"{producer.name}.{inputs[0].index}")
            graph.results.append(node)
        elif getattr(op, "IS_SINK", False):
            graph.sinks.append(node)
        return node

    def constant(self, data: dict[str, str], name: str) -> Constant:
        for key in ("element_type", "shape", "offset", "size"):
            if key not in data:
                raise ValueError(f"Const has no '{key}' attribute")
        et = ElementType.parse(data["element_type"])
        shape = PartialShape.parse(data["shape"]).to_static()
        offset, size = int(data["offset"]), int(data["size"])
        if self.bin_path is None or not self.bin_path.exists():
            raise InputError(f"Const '{name}' needs weights, but the .bin file is missing",
                             path=str(self.bin_path or self.xml_path))
        if offset + size > os.path.getsize(self.bin_path):
            raise InputError(f"Const '{name}' runs past the end of the .bin", path=str(self.bin_path), offset=offset)
        return Constant(et, shape, FileSlice(str(self.bin_path), offset, size))


def _read_rt(elem: ET.Element) -> dict[str, object]:
    out: dict[str, object] = {}
    for child in elem:
        key = child.get("name", child.tag) if child.tag == "info" else child.tag
        out[key] = child.get("value", "") if len(child) == 0 else _read_rt(child)
    return out


def read_model(xml_path: str | os.PathLike, bin_path: str | os.PathLike | None = None,
               opset: tuple[type[Op], ...] = OPSET) -> Graph:
    xml = Path(xml_path)
    if not xml.exists():
        raise InputError("the IR file does not exist", path=str(xml))
    binp = Path(bin_path) if bin_path else xml.with_suffix(".bin")
    return IRReader(xml, binp if binp.exists() else None, opset).read()
