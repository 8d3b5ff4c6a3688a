"""Dead-node elimination: drop what no Result or sink needs."""
from __future__ import annotations

from irforge.core.graph import Graph


def remove_dead_nodes(graph: Graph) -> int:
    return graph.remove_dead_nodes()
