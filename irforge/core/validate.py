"""Graph invariants, checked after every pass in tests and with --debug."""
from __future__ import annotations

from irforge.errors import InternalError

from .graph import Graph, Use


def validate(graph: Graph, where: str = "") -> None:
    """Use lists mirror inputs, every input's producer is in the graph, Results and Parameters are nodes."""
    nodes = graph.nodes
    for node in nodes:
        for i, x in enumerate(node.inputs):
            if x.node not in nodes:
                raise InternalError(f"{where}: {node} input {i} comes from {x.node}, which is not in the graph")
            if Use(node, i) not in x.uses:
                raise InternalError(f"{where}: {x.node} output {x.index} does not list its use by {node}")
        for out in node.outputs:
            for use in out.uses:
                if use.node not in nodes:
                    raise InternalError(f"{where}: {node} output {out.index} lists a removed user {use.node}")
                if use.node.inputs[use.index] is not out:
                    raise InternalError(f"{where}: {use.node} input {use.index} is not {node} output {out.index}")
    for group, kind in ((graph.parameters, "Parameter"), (graph.results, "Result"), (graph.sinks, "sink")):
        for node in group:
            if node not in nodes:
                raise InternalError(f"{where}: {kind} {node} is not in the graph")
