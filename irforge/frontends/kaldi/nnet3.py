"""nnet3 reader (final.raw, final.mdl): the config lines (input/component/dim-range/output nodes with their
descriptors) and the components that follow them, in text or binary form."""
from __future__ import annotations

import re

from .network import (Append, ComponentNode, Const, Descriptor, DimRangeNode, Failover, IfDefined, Network,
                      NodeRef, Offset, ReplaceIndex, Round, Scale, Sum, Switch)
from .reader import read_component, skip_transition_model
from .tokens import KaldiStream


def read(stream: KaldiStream) -> Network:
    if stream.peek_word() == "<TransitionModel>":
        skip_transition_model(stream)
    stream.expect("<Nnet3>")
    net = Network("nnet3", stream.path)
    for line, offset in _config_lines(stream):
        parse_config_line(net, line, stream, offset)
    stream.expect("<NumComponents>")
    count = stream.read_int()
    if not 0 <= count < 1_000_000:
        raise stream.error(f"implausible <NumComponents> {count}")
    for _ in range(count):
        stream.expect("<ComponentName>")
        name = stream.read_word("a component name")
        type_token = stream.read_token()
        net.components[name] = read_component(stream, type_token, name)
    stream.expect("</Nnet3>")
    # final.mdl (AmNnetSimple) continues with the model context and the priors.
    if stream.maybe("<LeftContext>"):
        stream.read_int()
        stream.expect("<RightContext>")
        stream.read_int()
    if stream.maybe("<Priors>"):
        priors = stream.read_vector()
        net.priors = priors if priors.size else None
    _check_references(net, stream)
    return net


def _config_lines(stream: KaldiStream):
    """The text lines between <Nnet3> and the first empty line (Kaldi: after the token, one whitespace char,
    then the rest of that line is eaten; lines follow until an empty one)."""
    data = stream.data
    pos = stream.pos + 1                      # the token's one trailing whitespace char
    end_of_line = data.find(b"\n", pos)
    if end_of_line < 0:
        raise stream.error("the <Nnet3> config lines never end: truncated file?")
    pos = end_of_line + 1
    while True:
        nl = data.find(b"\n", pos)
        if nl < 0:
            raise stream.error("the <Nnet3> config lines never end (no empty line before <NumComponents>)", pos)
        line = bytes(data[pos:nl]).rstrip(b"\r")
        if not line.strip():
            stream.pos = nl + 1
            return
        yield line.decode("utf-8", "replace"), pos
        pos = nl + 1


def _split_config(line: str) -> list[str]:
    """key=value items separated by blanks outside parentheses (descriptors contain blanks)."""
    items, depth, current = [], 0, []
    for ch in line:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch.isspace() and depth == 0:
            if current:
                items.append("".join(current))
                current = []
            continue
        current.append(ch)
    if current:
        items.append("".join(current))
    return items


def parse_config_line(net: Network, line: str, stream: KaldiStream, offset: int) -> None:
    line = line.split("#", 1)[0].strip()
    if not line:
        return
    kind, *items = _split_config(line)
    values: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise stream.error(f"config line item {item!r} is not key=value: {line!r}", offset)
        key, value = item.split("=", 1)
        values[key] = value

    def need(key: str) -> str:
        if key not in values:
            raise stream.error(f"{kind} has no {key}=: {line!r}", offset)
        return values[key]

    def integer(key: str) -> int:
        try:
            return int(need(key))
        except ValueError:
            raise stream.error(f"{kind} {key}={values[key]!r} is not an integer: {line!r}", offset) from None

    name = need("name")
    if name in net.inputs or name in net.nodes or name in net.outputs:
        raise stream.error(f"node '{name}' is defined twice", offset)
    if kind == "input-node":
        net.inputs[name] = integer("dim")
    elif kind == "component-node":
        net.nodes[name] = ComponentNode(name, need("component"), parse_descriptor(need("input"), stream, offset))
    elif kind == "dim-range-node":
        net.nodes[name] = DimRangeNode(name, NodeRef(need("input-node")), integer("dim-offset"), integer("dim"))
    elif kind == "output-node":
        net.outputs[name] = parse_descriptor(need("input"), stream, offset)
    else:
        raise stream.error(f"unknown config line type {kind!r}: {line!r}", offset)


# -- descriptors ----------------------------------------------------------------------------------------------------
_TOKEN = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_.\-]*|-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|[(),])")


def parse_descriptor(text: str, stream: KaldiStream | None = None, offset: int = 0) -> Descriptor:
    """nnet-descriptor.h grammar: node | Append(d, ...) | Sum(d, d) | Failover(d, d) | IfDefined(d) |
    Offset(d, t[, x]) | Switch(d, ...) | Round(d, m) | ReplaceIndex(d, t|x, v) | Scale(s, d) | Const(v, dim)."""
    tokens, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            if text[pos:].strip() == "":
                break
            raise _bad(text, f"unexpected {text[pos:pos + 10]!r}", stream, offset)
        tokens.append(m.group(1))
        pos = m.end()
    parser = _DescriptorParser(tokens, text, stream, offset)
    result = parser.descriptor()
    if parser.i != len(tokens):
        raise _bad(text, f"unexpected {tokens[parser.i]!r} after the end", stream, offset)
    return result


def _bad(text: str, why: str, stream: KaldiStream | None, offset: int):
    from irforge.errors import InputError
    message = f"bad descriptor {text!r}: {why}"
    return stream.error(message, offset) if stream else InputError(message)


class _DescriptorParser:
    FUNCTIONS = {"Append", "Sum", "Failover", "IfDefined", "Offset", "Switch", "Round", "ReplaceIndex", "Scale",
                 "Const"}

    def __init__(self, tokens: list[str], text: str, stream, offset: int):
        self.tokens, self.text, self.stream, self.offset, self.i = tokens, text, stream, offset, 0

    def error(self, why: str):
        return _bad(self.text, why, self.stream, self.offset)

    def next(self) -> str:
        if self.i >= len(self.tokens):
            raise self.error("it ends too early")
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, tok: str) -> None:
        got = self.next()
        if got != tok:
            raise self.error(f"expected {tok!r}, found {got!r}")

    def number(self, kind=int):
        tok = self.next()
        try:
            return kind(tok)
        except ValueError:
            raise self.error(f"expected a number, found {tok!r}") from None

    def args(self) -> list[Descriptor]:
        parts = [self.descriptor()]
        while self.tokens[self.i:self.i + 1] == [","]:
            self.i += 1
            parts.append(self.descriptor())
        self.expect(")")
        return parts

    def descriptor(self) -> Descriptor:
        tok = self.next()
        if tok not in self.FUNCTIONS or self.tokens[self.i:self.i + 1] != ["("]:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.\-]*", tok):
                raise self.error(f"expected a node name or a function, found {tok!r}")
            return NodeRef(tok)
        self.expect("(")
        if tok == "Offset":
            inner = self.descriptor()
            self.expect(",")
            t = self.number()
            if self.tokens[self.i:self.i + 1] == [","]:
                self.i += 1
                self.number()  # the x offset: always 0 at inference
            self.expect(")")
            return Offset(inner, t)
        if tok == "Scale":
            scale = self.number(float)
            self.expect(",")
            inner = self.descriptor()
            self.expect(")")
            return Scale(scale, inner)
        if tok == "Const":
            value = self.number(float)
            self.expect(",")
            dim = self.number()
            self.expect(")")
            return Const(value, dim)
        if tok == "Round":
            inner = self.descriptor()
            self.expect(",")
            modulus = self.number()
            self.expect(")")
            return Round(inner, modulus)
        if tok == "ReplaceIndex":
            inner = self.descriptor()
            self.expect(",")
            variable = self.next()
            if variable not in ("t", "x"):
                raise self.error(f"ReplaceIndex replaces t or x, not {variable!r}")
            self.expect(",")
            value = self.number()
            self.expect(")")
            return ReplaceIndex(inner, variable, value)
        parts = self.args()
        if tok == "IfDefined":
            if len(parts) != 1:
                raise self.error("IfDefined takes one argument")
            return IfDefined(parts[0])
        if tok == "Failover":
            if len(parts) != 2:
                raise self.error("Failover takes two arguments")
            return Failover(parts[0], parts[1])
        if tok == "Sum":
            return Sum(tuple(parts))
        if tok == "Switch":
            return Switch(tuple(parts))
        return Append(tuple(parts))


def _check_references(net: Network, stream: KaldiStream) -> None:
    from .network import node_refs
    known = set(net.inputs) | set(net.nodes)
    for node in net.nodes.values():
        if isinstance(node, ComponentNode) and node.component not in net.components:
            raise stream.error(f"component-node '{node.name}' uses component '{node.component}', which the "
                               "file does not define", 0)
        for ref in (r.name for r in node_refs(node.input)):
            if ref not in known:
                raise stream.error(f"node '{node.name}' reads '{ref}', which is not a node of the network", 0)
    for name, desc in net.outputs.items():
        for ref in node_refs(desc):
            if ref.name not in known:
                raise stream.error(f"output-node '{name}' reads '{ref.name}', which is not a node of the network", 0)
