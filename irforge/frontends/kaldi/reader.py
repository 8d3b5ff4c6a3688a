"""Which Kaldi format a file holds, and the parts the nnet1/nnet2/nnet3 readers share: skipping the transition
model of a final.mdl and reading one component's `<Token> value` fields."""
from __future__ import annotations

import re

from .network import Component, Network
from .tokens import KaldiStream

# Tokens whose value is an integer vector (binary WriteIntegerVector has no header to tell it from an int).
INT_VECTOR_TOKENS = frozenset({"<Context>", "<TimeOffsets>", "<Indexes>", "<Reorder>", "<ColumnMap>", "<Sizes>",
                               "<RequiredTimeOffsets>"})
# (component type, token) whose value is a vector of integer pairs.
_INT_PAIR_VECTORS = frozenset({("TimeHeightConvolutionComponent", "<Offsets>")})
# Component types whose data starts with an integer vector written without a token (nnet2 PermuteComponent).
_LEADING_INT_VECTOR = frozenset({"PermuteComponent"})


def detect(stream: KaldiStream) -> str:
    """"nnet1", "nnet2" or "nnet3" from the first tokens (after a transition model, for final.mdl)."""
    start = stream.pos
    first = stream.peek_word()
    if first == "<TransitionModel>":
        skip_transition_model(stream)
        first = stream.peek_word()
    try:
        if first == "<Nnet3>":
            return "nnet3"
        if first == "<Nnet>":
            stream.read_word()
            second = stream.peek_word()
            # nnet2: <Nnet> <NumComponents> n <Components> ...; nnet1: <Nnet> <AffineTransform> out in ...
            return "nnet2" if second == "<NumComponents>" else "nnet1"
        from .nnet1 import MARKERS
        if first is not None and first.startswith("<") and first[1:-1].lower() in MARKERS:
            return "nnet1"   # nnet1 files written without the optional <Nnet> header start with a component
    finally:
        stream.pos = start
    shown = repr(first[:40]) if first else "nothing"
    raise stream.error(f"not a Kaldi nnet1/nnet2/nnet3 model: it starts with {shown} (expected <Nnet>, <Nnet3> "
                       "or <TransitionModel>)")


def skip_transition_model(stream: KaldiStream) -> None:
    """final.mdl starts with the HMM transition model, which acoustic scoring does not need."""
    stream.expect("<TransitionModel>")
    end = stream.data.find(b"</TransitionModel>", stream.pos)
    if end < 0:
        raise stream.error("the <TransitionModel> has no end tag </TransitionModel>: truncated file?")
    stream.pos = end + len(b"</TransitionModel>")


_COMPONENT_TYPE = re.compile(r"<[A-Za-z0-9]+Component>")


def read_component(stream: KaldiStream, type_token: str, name: str) -> Component:
    """The fields of a component whose opening tag `<Type>` was just read, up to its `</Type>`. Unknown tokens
    are kept too (they are ignored unless a translator asks for them), so newer Kaldi versions still read."""
    offset = stream.pos
    type_name = type_token[1:-1]
    end = f"</{type_name}>"
    component = Component(name, type_name, {}, [], offset, stream)
    if type_name in _LEADING_INT_VECTOR and stream.next_is_value():
        component.positional.append(stream.read_int_vector().astype("float32"))
    while True:
        tok = stream.peek_token()
        if tok is None:
            if stream.at_end():
                raise stream.error(f"component '{name}' ({type_name}) has no end tag {end}: truncated file?")
            component.positional.append(stream.read_value())
            continue
        if tok == end:
            stream.read_word()
            return component
        if _COMPONENT_TYPE.fullmatch(tok) and type_name == "CompositeComponent":
            stream.read_word()
            component.nested.append(read_component(stream, tok, f"{name}.{len(component.nested)}"))
            continue
        if tok in ("<ComponentName>", "</Nnet3>", "</Nnet>") or (tok == "</Components>" and
                                                                  type_name != "CompositeComponent"):
            raise stream.error(f"component '{name}' ({type_name}) ends without its end tag {end}")
        stream.read_word()
        if (type_name, tok) in _INT_PAIR_VECTORS:
            component.fields[tok] = stream.read_int_pair_vector()
            continue
        component.fields[tok] = read_field_value(stream, tok)


def read_field_value(stream: KaldiStream, tok: str):
    """The value after `tok`: None when another token follows at once (a bare tag such as <Model>), an int
    vector for the known int-vector tokens, else whatever the bytes say (a second value after the same token,
    as in <RankInOut> 20 80, lands in `positional`)."""
    if not stream.next_is_value():
        return None
    if tok in INT_VECTOR_TOKENS:
        return stream.read_int_vector()
    return stream.read_value()


def read_network(path: str) -> Network:
    """Read nnet1 (final.nnet), nnet2 (final.mdl) or nnet3 (final.mdl, final.raw) in text or binary form."""
    from . import nnet1, nnet2, nnet3
    stream = KaldiStream.open(path)
    kind = detect(stream)
    reader = {"nnet1": nnet1.read, "nnet2": nnet2.read, "nnet3": nnet3.read}[kind]
    return reader(stream)


def looks_like_kaldi(path: str) -> bool:
    """For format detection without --framework: a Kaldi model starts with one of its header tokens."""
    try:
        with open(path, "rb") as f:
            head = f.read(64)
    except OSError:
        return False
    if head.startswith(b"\0B"):
        head = head[2:]
    head = head.lstrip()
    return head.startswith((b"<Nnet3>", b"<Nnet>", b"<TransitionModel>")) or bool(
        re.match(rb"<(AffineTransform|Splice|AddShift|Rescale|LinearTransform|LstmProjected)", head))
