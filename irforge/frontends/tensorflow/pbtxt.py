"""Text protobufs (.pbtxt) with big tensors, parsed fast.

Nearly all the bytes of a frozen graph in text form are `tensor_content: "..."` literals (weights, C-escaped).
protobuf's text parser reads them a token at a time in Python (a 266 MB ResNet50 takes ~20 s). Here each literal
is cut out of the text first (found with bytes.find), decoded by the C codec for C escapes, and replaced by its
index; the much smaller rest goes through protobuf's parser, and the decoded bytes are put back into the parsed
TensorProtos. If anything does not fit (a literal that is not a plain double-quoted string), the caller falls back
to the plain parser.
"""
from __future__ import annotations

import codecs

from google.protobuf import text_format

KEY = b'tensor_content: "'


class NotLifted(ValueError):
    """The text has a tensor_content literal this fast path does not handle."""


def parse(data: bytes, message) -> None:
    """Parse text-format `data` into `message` (raises text_format.ParseError / UnicodeDecodeError as the plain
    parser would, NotLifted when the fast path does not apply)."""
    text, contents = _lift(data)
    text_format.Parse(text.decode("utf-8"), message, allow_unknown_field=True)
    if contents:
        used = _restore(message, contents)
        if used != len(contents):
            raise NotLifted(f"{len(contents)} tensor_content literals cut out, {used} put back")


def _lift(data: bytes) -> tuple[bytes, list[bytes]]:
    pieces, contents, pos = [], [], 0
    while True:
        start = data.find(KEY, pos)
        if start < 0:
            break
        begin = start + len(KEY)
        end = _closing_quote(data, begin)
        contents.append(codecs.escape_decode(data[begin:end])[0])
        pieces += [data[pos:begin], b"%d" % (len(contents) - 1)]
        pos = end
    pieces.append(data[pos:])
    return b"".join(pieces), contents


def _closing_quote(data: bytes, begin: int) -> int:
    """The index of the '"' that ends the literal starting at `begin` (one not escaped by a backslash)."""
    at = begin
    while True:
        previous, at = at, data.find(b'"', at)
        if at < 0 or data.find(b"\n", previous, at) >= 0:
            raise NotLifted("an unterminated tensor_content literal")
        slashes = 0
        while data[at - 1 - slashes] == 0x5C:   # backslash
            slashes += 1
        if slashes % 2 == 0:
            return at
        at += 1


def _restore(message, contents: list[bytes]) -> int:
    """Put the decoded literals back into every TensorProto of `message`; returns how many were put back."""
    used = 0
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        if field.message_type.GetOptions().map_entry:
            values = value.values() if field.message_type.fields_by_name["value"].message_type else []
        elif field.is_repeated:
            values = value
        else:
            values = [value]
        for item in values:
            if item.DESCRIPTOR.name == "TensorProto" and item.tensor_content:
                try:
                    item.tensor_content = contents[int(item.tensor_content)]
                except (ValueError, IndexError):
                    raise NotLifted("a tensor_content that was not cut out") from None
                used += 1
            used += _restore(item, contents)
    return used
