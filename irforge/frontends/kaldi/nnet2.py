"""nnet2 reader (final.mdl of nnet2 recipes, or a raw nnet2 <Nnet>): the transition model (skipped),
`<Nnet> <NumComponents> n <Components> {<TypeComponent> ... </TypeComponent>} </Components> </Nnet>`, then the
priors of the AmNnet. The chain becomes the common network (SpliceComponent reads its input at time offsets)."""
from __future__ import annotations

from .network import ComponentNode, Network, NodeRef
from .reader import read_component, skip_transition_model
from .tokens import KaldiStream


def read(stream: KaldiStream) -> Network:
    if stream.peek_word() == "<TransitionModel>":
        skip_transition_model(stream)
    stream.expect("<Nnet>")
    stream.expect("<NumComponents>")
    count = stream.read_int()
    if not 0 < count < 100_000:
        raise stream.error(f"implausible <NumComponents> {count}")
    stream.expect("<Components>")
    net = Network("nnet2", stream.path)
    net.inputs["input"] = -1  # told by the first component (the streaming builder fills it in)
    x = NodeRef("input")
    for i in range(count):
        type_token = stream.read_token()
        component = read_component(stream, type_token, f"{i + 1}.{type_token[1:-1]}")
        net.components[component.name] = component
        net.nodes[component.name] = ComponentNode(component.name, component.name, x)
        x = NodeRef(component.name)
    stream.expect("</Components>")
    stream.expect("</Nnet>")
    if stream.next_is_value():  # AmNnet priors
        priors = stream.read_vector()
        net.priors = priors if priors.size else None
    net.outputs["output"] = x
    return net
