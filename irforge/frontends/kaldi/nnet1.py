"""nnet1 reader (nnet-train-* recipes: final.nnet, final.feature_transform): a chain of components, written
as `<Type> out_dim in_dim data [<!EndOfComponent>]` between an optional <Nnet> and </Nnet>.

The chain becomes the common network: Splice is an Append of Offsets, LstmProjected one step whose previous
[r, c] comes back through IfDefined(Offset(step, -1)), ParallelComponent a dim-range per branch and an Append.
"""
from __future__ import annotations

from .network import Append, Component, ComponentNode, Descriptor, DimRangeNode, IfDefined, Network, NodeRef, \
    Offset
from .reader import read_field_value
from .tokens import KaldiStream

# nnet-component.cc kMarkerMap, lower-cased -> canonical spelling (Kaldi matches markers case-insensitively).
MARKERS = {m.lower(): m for m in (
    "AffineTransform", "LinearTransform", "ConvolutionalComponent", "Convolutional2DComponent", "LstmProjected",
    "LstmProjectedStreams", "BlstmProjected", "BlstmProjectedStreams", "RecurrentComponent", "Softmax",
    "HiddenSoftmax", "BlockSoftmax", "Sigmoid", "Tanh", "ParametricRelu", "Dropout", "LengthNormComponent", "Rbm",
    "Splice", "Copy", "AddShift", "Rescale", "KlHmm", "AveragePoolingComponent", "AveragePooling2DComponent",
    "MaxPoolingComponent", "MaxPooling2DComponent", "SentenceAveragingComponent",
    "SimpleSentenceAveragingComponent", "FramePoolingComponent", "ParallelComponent", "MultiBasisComponent",
    "Fsmn", "DeepFsmn", "UniFsmn", "UniDeepFsmn")}

# Components whose data is an integer vector written without a token.
_INT_VECTOR_DATA = {"Splice", "Copy", "BlockSoftmax"}


def _marker(token: str | None) -> str | None:
    if token is None or not (token.startswith("<") and token.endswith(">")):
        return None
    return MARKERS.get(token[1:-1].lower())


def read_chain(stream: KaldiStream, counter: list[int]) -> list[Component]:
    """The components of one <Nnet> ... </Nnet> (the header and the end tag are optional at the top level)."""
    stream.maybe("<Nnet>")
    chain: list[Component] = []
    while True:
        tok = stream.peek_token()
        if tok is None:
            if stream.at_end():
                return chain
            raise stream.error(f"expected an nnet1 component marker, found {stream.peek_word()!r}")
        if tok == "</Nnet>":
            stream.read_word()
            return chain
        start = stream.pos
        stream.read_word()
        kind = _marker(tok)
        if kind is None:
            raise stream.error(f"unknown nnet1 component marker {tok!r}", start)
        out_dim, in_dim = stream.read_int(), stream.read_int()
        if out_dim <= 0 or in_dim <= 0:
            raise stream.error(f"{tok}: bad dims {out_dim} x {in_dim}", start)
        counter[0] += 1
        component = Component(f"{counter[0]}.{kind}", kind, {}, [], start, stream, (out_dim, in_dim))
        if kind == "ParallelComponent":
            _read_parallel(stream, component, counter)
        else:
            _read_fields(stream, component)
        chain.append(component)


def _read_fields(stream: KaldiStream, component: Component) -> None:
    if component.type in _INT_VECTOR_DATA and stream.next_is_value():
        component.positional.append(stream.read_int_vector())
    while True:
        tok = stream.peek_token()
        if tok is None:
            if stream.at_end():
                return
            component.positional.append(stream.read_value())
            continue
        if tok == "<!EndOfComponent>":
            stream.read_word()
            return
        if tok in ("</Nnet>", "<Nnet>") or _marker(tok) is not None:
            return
        stream.read_word()
        component.fields[tok] = read_field_value(stream, tok)


def _read_parallel(stream: KaldiStream, component: Component, counter: list[int]) -> None:
    stream.expect("<NestedNnetCount>")
    count = stream.read_int()
    for _ in range(count):
        stream.expect("<NestedNnet>")
        stream.read_int()
        component.nested.append(read_chain(stream, counter))
    stream.expect("</ParallelComponent>")
    stream.maybe("<!EndOfComponent>")


def read(stream: KaldiStream) -> Network:
    chain = read_chain(stream, [0])
    if not stream.at_end():
        raise stream.error(f"unexpected {stream.peek_word()!r} after the end of the network")
    if not chain:
        raise stream.error("the nnet1 network has no components", 0)
    net = Network("nnet1", stream.path)
    net.inputs["input"] = chain[0].dims[1]
    net.outputs["output"] = add_chain(net, chain, NodeRef("input"))
    return net


def add_chain(net: Network, chain: list[Component], x: Descriptor) -> Descriptor:
    """Add the chain's nodes reading `x`; returns the descriptor of its output."""
    for component in chain:
        name = component.name
        if component.type == "ParallelComponent":
            x = _add_parallel(net, component, x)
            continue
        net.components[name] = component
        if component.type in ("LstmProjected", "LstmProjectedStreams"):
            # step: [x_t, r_{t-1}, c_{t-1}] -> [r_t, c_t]; nnet-forward starts each utterance from zero state
            step = f"{name}.step"
            net.nodes[step] = ComponentNode(step, name, Append((x, IfDefined(Offset(NodeRef(step), -1)))))
            net.nodes[name] = DimRangeNode(name, NodeRef(step), 0, component.dims[0])
        else:
            net.nodes[name] = ComponentNode(name, name, x)
        x = NodeRef(name)
    return x


def _add_parallel(net: Network, component: Component, x: Descriptor) -> Descriptor:
    outputs, offset = [], 0
    for k, branch in enumerate(component.nested):
        if not branch:
            raise component.error(f"nested network {k + 1} is empty")
        width = branch[0].dims[1]
        part = f"{component.name}.in{k + 1}"
        net.nodes[part] = DimRangeNode(part, x, offset, width)
        offset += width
        outputs.append(add_chain(net, branch, NodeRef(part)))
    if component.dims and offset != component.dims[1]:
        raise component.error(f"the nested networks take {offset} inputs, the header says {component.dims[1]}")
    return outputs[0] if len(outputs) == 1 else Append(tuple(outputs))
