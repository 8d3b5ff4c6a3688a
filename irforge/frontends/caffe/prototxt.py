"""The protobuf text format of deploy.prototxt files, parsed into Messages by irforge's own schema (no protoc, no
caffe_pb2). Errors name the line and column; unknown fields are kept (custom layers) and listed on their message."""
from __future__ import annotations

import re
from dataclasses import dataclass

from irforge.errors import InputError

from .message import Message
from .schema import ENUMS, FLOAT_KINDS, INT_KINDS, Field, message_type

_TOKEN = re.compile(r"""
    (?P<newline>\n)
  | (?P<space>[ \t\r\f\v]+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<number>[-+]?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?[fF]?))
  | (?P<ident>-?[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<punct>[{}<>:\[\],;])
""", re.VERBOSE)

_ESCAPE = re.compile(rb"\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)", re.DOTALL)
_SIMPLE_ESCAPES = {b"n": b"\n", b"t": b"\t", b"r": b"\r", b"a": b"\a", b"b": b"\b", b"f": b"\f", b"v": b"\v",
                   b"\\": b"\\", b"'": b"'", b'"': b'"', b"?": b"?"}
_TRUE = {"true", "True", "t", "1"}
_FALSE = {"false", "False", "f", "0"}
_SPECIAL_FLOATS = {"inf": float("inf"), "infinity": float("inf"), "-inf": float("-inf"),
                   "-infinity": float("-inf"), "nan": float("nan"), "-nan": float("nan")}


@dataclass(slots=True)
class Token:
    kind: str
    text: str
    line: int
    column: int
    offset: int


def tokenize(text: str, path: str | None) -> list[Token]:
    tokens: list[Token] = []
    line, line_start, pos = 1, 0, 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise InputError(f"cannot read {text[pos:pos + 20]!r} at line {line}, column {pos - line_start + 1} "
                             "of the prototxt (not the protobuf text format)", path=path)
        kind = m.lastgroup
        if kind == "newline":
            line, line_start = line + 1, m.end()
        elif kind not in ("space", "comment"):
            tokens.append(Token(kind, m.group(), line, pos - line_start + 1, pos))  # type: ignore[arg-type]
        pos = m.end()
    return tokens


def unescape(literal: str) -> str:
    body = literal[1:-1].encode("utf-8")

    def replace(m: re.Match) -> bytes:
        code = m.group(1)
        if code[:1] in (b"x", b"X") and len(code) > 1:
            return bytes([int(code[1:], 16)])
        if code[:1].isdigit() and all(48 <= c <= 55 for c in code):
            return bytes([int(code, 8) & 0xFF])
        return _SIMPLE_ESCAPES.get(code, b"\\" + code)

    return _ESCAPE.sub(replace, body).decode("utf-8", errors="replace")


class TextParser:
    """Recursive descent over the token list: message := field*, field := name ':'? (value | '{' message '}')."""

    def __init__(self, text: str, path: str | None = None):
        self.path = path
        self.tokens = tokenize(text, path)
        self.pos = 0

    # -- token helpers ------------------------------------------------------------------------------------------
    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def next(self, what: str) -> Token:
        token = self.peek()
        if token is None:
            last = self.tokens[-1] if self.tokens else None
            where = f" after line {last.line}" if last else ""
            raise InputError(f"the prototxt ends early{where}: expected {what}", path=self.path)
        self.pos += 1
        return token

    def error(self, token: Token, message: str) -> InputError:
        return InputError(f"{message} at line {token.line}, column {token.column} of the prototxt", path=self.path)

    def accept(self, text: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == "punct" and token.text == text:
            self.pos += 1
            return True
        return False

    # -- grammar ------------------------------------------------------------------------------------------------
    def parse(self, root: str) -> Message:
        message = Message(message_type(root), "line 1")
        self.parse_fields(message, closing=None)
        return message

    def parse_fields(self, message: Message, closing: str | None) -> None:
        first_line: dict[str, int] = {}
        while True:
            token = self.peek()
            if token is None:
                if closing is not None:
                    raise InputError(f"the prototxt ends inside {message.type_name} (opened at {message.where}): "
                                     f"'{closing}' is missing", path=self.path)
                return
            if token.kind == "punct" and token.text == closing:
                self.pos += 1
                return
            if token.kind != "ident":
                raise self.error(token, f"expected a field name of {message.type_name}, found {token.text!r}")
            self.pos += 1
            field = message.type.by_name.get(token.text) if message.type is not None else None
            if field is None and token.text not in message.unknown:
                message.unknown.append(token.text)
            if field is not None and not field.repeated and token.text in first_line:
                raise self.error(token, f"{message.type_name}.{token.text} is given twice (also at line "
                                        f"{first_line[token.text]}); it takes one value")
            first_line.setdefault(token.text, token.line)
            self.parse_value(message, token, field)
            if not self.accept(";"):
                self.accept(",")

    def parse_value(self, message: Message, name: Token, field: Field | None) -> None:
        colon = self.accept(":")
        token = self.peek()
        if token is not None and token.kind == "punct" and token.text in "{<":
            self.pos += 1
            if field is not None and field.kind != "message":
                raise self.error(token, f"{message.type_name}.{name.text} is a {field.kind}, not a message")
            mtype = message_type(field.type_name) if field is not None else None
            child = Message(mtype, f"line {token.line}")
            self.parse_fields(child, "}" if token.text == "{" else ">")
            message.add(name.text, child)
            return
        if not colon:
            raise self.error(name, f"expected ':' after {name.text!r}")
        if field is not None and field.kind == "message":
            raise self.error(name, f"{message.type_name}.{name.text} is a message: write {name.text} {{ ... }}")
        if self.accept("["):
            if field is not None and not field.repeated:
                raise self.error(name, f"{message.type_name}.{name.text} takes one value, not a list")
            while not self.accept("]"):
                message.add(name.text, self.scalar(message, name, field))
                self.accept(",")
            return
        message.add(name.text, self.scalar(message, name, field))

    def scalar(self, message: Message, name: Token, field: Field | None):
        token = self.next(f"a value for {name.text!r}")
        where = f"{message.type_name}.{name.text}"
        if token.kind == "string":
            text = unescape(token.text)
            while (nxt := self.peek()) is not None and nxt.kind == "string":  # "a" "b" concatenates
                self.pos += 1
                text += unescape(nxt.text)
            if field is not None and field.kind not in ("string", "bytes"):
                raise self.error(token, f"{where} is a {field.kind}, not a string")
            return text
        if token.kind == "punct":
            raise self.error(token, f"expected a value for {where}, found {token.text!r}")
        if field is None:
            return _untyped(token)
        kind = field.kind
        if kind in ("string", "bytes"):
            raise self.error(token, f"{where} is a string: quote it")
        if kind == "enum":
            labels = ENUMS[field.type_name]
            if token.kind == "ident" and token.text in labels:
                return token.text
            if token.kind == "number" and _is_int(token.text):
                by_value = {v: k for k, v in labels.items()}
                if int(token.text, 0) in by_value:
                    return by_value[int(token.text, 0)]
            raise self.error(token, f"{where} is one of {', '.join(labels)}; {token.text!r} is not")
        if kind == "bool":
            if token.text in _TRUE:
                return True
            if token.text in _FALSE:
                return False
            raise self.error(token, f"{where} is true or false; {token.text!r} is not")
        if kind in INT_KINDS:
            if token.kind != "number" or not _is_int(token.text):
                raise self.error(token, f"{where} is an integer; {token.text!r} is not")
            value = int(token.text, 0)
            if kind.startswith("uint") and value < 0:
                raise self.error(token, f"{where} is unsigned; {value} is negative")
            return value
        if kind in FLOAT_KINDS:
            if token.kind == "number":
                return float(token.text.rstrip("fF")) if not token.text.lower().startswith(("0x", "-0x", "+0x")) \
                    else float(int(token.text, 0))
            if token.text.lower() in _SPECIAL_FLOATS:
                return _SPECIAL_FLOATS[token.text.lower()]
            raise self.error(token, f"{where} is a number; {token.text!r} is not")
        raise self.error(token, f"{where} has kind {kind}")  # pragma: no cover - the schema has no other kinds


def _is_int(text: str) -> bool:
    return re.fullmatch(r"[-+]?(?:0[xX][0-9a-fA-F]+|\d+)", text) is not None


def _untyped(token: Token):
    """A value of a field the schema does not know: typed by how it is written."""
    if token.kind == "number":
        if _is_int(token.text):
            return int(token.text, 0)
        return float(token.text.rstrip("fF"))
    if token.text in ("true", "True"):
        return True
    if token.text in ("false", "False"):
        return False
    return token.text


def parse_text(text: str, root: str = "NetParameter", path: str | None = None) -> Message:
    return TextParser(text, path).parse(root)


def read_prototxt(path: str) -> Message:
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise InputError(f"cannot read the prototxt: {e.strerror}", path=path) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError("the prototxt is not UTF-8 text (is it a binary .caffemodel? give that one as "
                         "--input_model)", path=path, offset=e.start) from None
    return parse_text(text, "NetParameter", path)

