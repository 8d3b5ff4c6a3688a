"""The ONNX section of docs/SUPPORTED_OPS.md, generated (python -m irforge.tools.supported_ops --write).

Every operator of the default ONNX domain (onnx.defs) is listed with how it converts: a translator of
table.py, its ONNX function body (expanded into other ops while translating), or not at all. The OpenVINO ops
each one becomes are found by translating the ONNX backend node cases of that operator (from the installed onnx
package) and recording the ops of the result, before any optimization pass."""
from __future__ import annotations

import warnings
from collections import defaultdict
from pathlib import Path

import onnx
from onnx import defs

from irforge.frontends.base import InputOverrides

from .loader import DEFAULT_DOMAINS, OnnxFrontend
from .table import OP_TABLE

BEGIN, END = "<!-- onnx:begin -->", "<!-- onnx:end -->"
STRUCTURAL = {"Parameter", "Result", "Const"}
CASES_PER_OP = 12  # node cases translated per operator (enough to see the variants of its translation)
EXPECTED = Path(__file__).resolve().parents[3] / "tests" / "frontends" / "onnx" / "node_suite_expected_failures.txt"


def default_domain_ops() -> dict[str, defs.OpSchema]:
    """The newest schema of every operator of the default domain."""
    latest: dict[str, defs.OpSchema] = {}
    for schema in defs.get_all_schemas_with_history():
        if schema.domain not in DEFAULT_DOMAINS:
            continue
        old = latest.get(schema.name)
        if old is None or schema.since_version > old.since_version:
            latest[schema.name] = schema
    return latest


def _op_key(node: onnx.NodeProto) -> str:
    return node.op_type if node.domain in DEFAULT_DOMAINS else f"{node.domain}::{node.op_type}"


def survey() -> tuple[dict[str, set[str]], dict[str, list[str]]]:
    """Per ONNX op: the OpenVINO op types its node cases translate to, and the names of those cases."""
    from onnx.backend.test.case import node as node_cases
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = node_cases.collect_testcases(None)
    produced: dict[str, set[str]] = defaultdict(set)
    names: dict[str, list[str]] = defaultdict(list)
    frontend = OnnxFrontend()
    for case in cases:
        keys = {_op_key(n) for n in case.model.graph.node if n.op_type != "Constant"}
        if len(keys) != 1:   # the *_expanded cases: many ops, nothing to attribute
            continue
        key = keys.pop()
        names[key].append(case.name)
        if len(names[key]) > CASES_PER_OP:
            continue
        try:
            graph = frontend.convert(case.model, InputOverrides())
        except Exception:  # noqa: BLE001 - a case irforge does not convert adds nothing
            continue
        produced[key] |= {n.op.TYPE + ("" if n.op.ir_version() == "opset1" else f"-{n.op.ir_version()[5:]}")
                          for n in graph.nodes if n.op.TYPE not in STRUCTURAL}
    return produced, names


def _expected_failures() -> dict[str, set[str]]:
    """case -> runtimes listed as failing in the node-suite ratchet (when this is a source checkout)."""
    failing: dict[str, set[str]] = defaultdict(set)
    if EXPECTED.exists():
        for line in EXPECTED.read_text().splitlines():
            if line and not line.startswith("#"):
                case, runtimes = line.split("\t")[:2]
                failing[case] |= set(runtimes.split(","))
    return failing


def _status(key: str, schema: defs.OpSchema | None) -> str:
    if key in OP_TABLE:
        return "translator"
    if schema is not None and (schema.has_function or schema.has_context_dependent_function):
        return "ONNX function"
    return "not supported"


def _note(key: str) -> str:
    versions = OP_TABLE.get(key)
    if not versions:
        return ""
    fn = versions[max(versions)]
    doc = (fn.__doc__ or "").strip().splitlines()
    return doc[0].replace("|", "/") if doc else ""


def section() -> str:
    produced, names = survey()
    failing = _expected_failures()
    schemas = default_domain_ops()
    keys = sorted(set(schemas) | set(OP_TABLE), key=lambda k: (("::" in k), k.lower()))
    counts = defaultdict(int)
    rows = []
    for key in keys:
        schema = schemas.get(key)
        status = _status(key, schema)
        counts[status] += 1
        cases = names.get(key, [])
        ov_pass = sum(1 for c in cases if "ov" not in failing.get(c, ()))
        ref_pass = sum(1 for c in cases if "ref" not in failing.get(c, ()))
        node_cases = "" if not cases else f"{ov_pass} / {ref_pass} of {len(cases)}" if failing else str(len(cases))
        since = f"{schema.since_version}" + (" (deprecated)" if schema.deprecated else "") if schema else ""
        ov_ops = ", ".join(sorted(produced.get(key, ()))) or ("(folds to a constant)" if key in produced else "")
        rows.append(f"| {key} | {since} | {status} | {ov_ops} | {node_cases} | {_note(key)} |")
    lines = [BEGIN, "## ONNX", "",
             "Every operator of the default ONNX domain (onnx " + onnx.__version__ + "), and the other domains' "
             "operators irforge translates. *translator*: a translator of `irforge/frontends/onnx/table.py`; "
             "*ONNX function*: no translator, but ONNX defines the op as a function of other ops, and irforge "
             "expands it into them while translating (`frontends/onnx/functions.py`). OpenVINO ops: what the "
             "ONNX backend node cases of the op translate to, before optimization passes (op-version suffixes "
             "where not opset1). Node cases: passing in the OpenVINO runtime / the reference runtime, of the "
             "op's single-op node cases (tests/frontends/onnx/test_node_suite.py; the failures and their reasons "
             "are in node_suite_expected_failures.txt).", "",
             f"{counts['translator']} by translator, {counts['ONNX function']} through their ONNX function, "
             f"{counts['not supported']} not supported.", "",
             "| ONNX op | since opset | status | OpenVINO ops | node cases | notes |", "|---|---|---|---|---|---|"]
    lines += rows
    lines.append(END)
    return "\n".join(lines) + "\n"

