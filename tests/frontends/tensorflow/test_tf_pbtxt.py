"""The fast .pbtxt path (frontends/tensorflow/pbtxt.py): tensor_content literals cut out, decoded and put back
give exactly what protobuf's own text parser gives; texts it does not handle fall back to that parser."""
from __future__ import annotations

import numpy as np
import pytest
from google.protobuf import text_format

from irforge.frontends.tensorflow import pbtxt, protos
from irforge.frontends.tensorflow.sources import parse_message


def graph_with_tensors() -> protos.GraphDef:
    """Contents with every byte value (quotes, backslashes, newlines, high bytes), in a node and in a function."""
    g = protos.GraphDef()
    rng = np.random.default_rng(6)
    for i, content in enumerate([bytes(range(256)) * 3, b'"\\"\\\\\n\'', b"", rng.bytes(5000)]):
        node = g.node.add(name=f"c{i}", op="Const")
        node.attr["value"].tensor.dtype = 4   # uint8
        node.attr["value"].tensor.tensor_shape.dim.add(size=len(content))
        node.attr["value"].tensor.tensor_content = content
    node = g.node.add(name="label", op="Const")
    node.attr["value"].s = b'tensor_content: "not a tensor'      # the key inside another string
    return g


def test_same_as_protobufs_parser():
    g = graph_with_tensors()
    text = text_format.MessageToString(g).encode()
    fast = protos.GraphDef()
    pbtxt.parse(text, fast)              # (the key inside a string is escaped there: \" , so it is not cut)
    assert fast == g and fast.node[1].attr["value"].tensor.tensor_content == b'"\\"\\\\\n\''
    assert parse_message(protos.GraphDef, text, "g.pbtxt", True, "GraphDef") == g


def test_single_quoted_literals_are_read_too():
    g = graph_with_tensors()
    del g.node[-1]
    text = text_format.MessageToString(g).encode().replace(b'tensor_content: ""', b"tensor_content: ''")
    assert parse_message(protos.GraphDef, text, "g.pbtxt", True, "GraphDef") == g
