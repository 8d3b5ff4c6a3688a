"""Every error irforge raises on purpose: each says what is wrong, where, and what to do about it."""
from __future__ import annotations

from collections import Counter


class IrforgeError(Exception):
    """Base of the errors a user sees as one clear message (the CLI prints it without a traceback)."""


class InputError(IrforgeError):
    """The model file is missing, unreadable or corrupt; `where` says which file and, if known, the byte offset."""

    def __init__(self, message: str, *, path: str | None = None, offset: int | None = None):
        where = []
        if path:
            where.append(str(path))
        if offset is not None:
            where.append(f"byte offset {offset}")
        super().__init__(f"{message}" + (f" ({', '.join(where)})" if where else ""))
        self.path = path
        self.offset = offset


class OptionError(IrforgeError):
    """A conversion option has a bad value: names the option, the value and the form expected."""

    def __init__(self, option: str, value: object, expected: str, reason: str | None = None):
        why = f": {reason}; expected" if reason else ": expected"
        super().__init__(f"{option}: cannot use {value!r}{why} {expected}")
        self.option = option
        self.value = value
        self.expected = expected
        self.reason = reason


class ConversionError(IrforgeError):
    """A node cannot be converted (bad attributes, shapes that do not fit); names the node and its op type."""

    def __init__(self, message: str, *, node: str | None = None, op_type: str | None = None):
        where = " ".join(x for x in (f"op {op_type}" if op_type else "", f"node '{node}'" if node else "") if x)
        super().__init__(f"{where}: {message}" if where else message)
        self.node = node
        self.op_type = op_type


class ShapeError(ConversionError):
    """Shape or element-type inference found inputs that the operation cannot take."""


class UnsupportedOps(IrforgeError):
    """Every op type of a model that has no translator, found in one scan before any translation."""

    def __init__(self, framework: str, nodes: list[tuple[str, str]]):
        self.framework = framework
        self.nodes = nodes  # (op type, node name), in model order
        super().__init__(self.message())

    @property
    def counts(self) -> Counter[str]:
        return Counter(op for op, _ in self.nodes)

    def message(self) -> str:
        counts = self.counts
        lines = [f"{self.framework} model has {len(counts)} unsupported op type(s) "
                 f"({sum(counts.values())} node(s)); nothing was written:"]
        for op, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            names = [n for o, n in self.nodes if o == op]
            shown = ", ".join(repr(n) for n in names[:3]) + (", ..." if len(names) > 3 else "")
            lines.append(f"  {op} x{count}: {shown}")
        lines.append("See docs/SUPPORTED_OPS.md for what converts, or bring the op with --extensions.")
        return "\n".join(lines)


class NotEvaluable(IrforgeError):
    """An op has no numpy evaluation (yet); constant folding skips it and the reference runtime reports it."""


class InternalError(IrforgeError):
    """A bug in irforge: names the pass or node where it happened."""
