"""Message: one decoded protobuf message (from the prototxt or the .caffemodel), read through the schema."""
from __future__ import annotations

from typing import Any

from .schema import MessageType, message_type

_MISSING = object()


class Message:
    """Field values by name. Every field is stored as a list (in file order); a singular field reads as its
    value, or the schema default when unset. Fields the schema does not know are kept too (their names are in
    `unknown`), so custom layers still parse; `where` says where the message starts ("line 12" or
    "byte offset 345")."""

    __slots__ = ("type", "values", "where", "unknown")

    def __init__(self, mtype: MessageType | None, where: str = ""):
        self.type = mtype
        self.values: dict[str, list[Any]] = {}
        self.where = where
        self.unknown: list[str] = []

    @property
    def type_name(self) -> str:
        return self.type.name if self.type is not None else "?"

    def add(self, name: str, value: Any) -> None:
        self.values.setdefault(name, []).append(value)

    def has(self, name: str) -> bool:
        return bool(self.values.get(name))

    def get(self, name: str, default: Any = _MISSING) -> Any:
        """A singular field: its value, else `default` when given, else the schema default (an empty message
        for a message field, so that `layer.get("pooling_param").get("pool")` gives the default pool)."""
        values = self.values.get(name)
        if values:
            return values[-1]
        if default is not _MISSING:
            return default
        field = self.type.by_name.get(name) if self.type is not None else None
        if field is None:
            return None
        if field.kind == "message":
            return Message(message_type(field.type_name), self.where)
        return field.default

    def list(self, name: str) -> list[Any]:
        """A repeated field's values (empty when unset)."""
        return list(self.values.get(name, ()))

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v if len(v) > 1 else v[0]!r}" for k, v in self.values.items())
        return f"{self.type_name}({inner})"
