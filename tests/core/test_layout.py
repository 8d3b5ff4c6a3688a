"""Layout spellings of the mo flags and OpenVINO: parse, expand to a rank, find N and C, transpose orders."""
import pytest

from irforge.core.layout import Layout, transpose_order


@pytest.mark.parametrize("text, dims", [
    ("nchw", ("N", "C", "H", "W")), ("NHWC", ("N", "H", "W", "C")), ("[n,c,h,w]", ("N", "C", "H", "W")),
    ("nc...", ("N", "C", "...")), ("?c??", ("?", "C", "?", "?")), ("n...c", ("N", "...", "C")),
    ("[batch,seq]", ("BATCH", "SEQ")),
])
def test_parse(text, dims):
    assert Layout.parse(text).dims == dims


@pytest.mark.parametrize("text", ["", "nchn", "n..c", "[n,c", "nc*hw", "[n,c*h]", "n......c", "[n, c, -]"])
def test_parse_errors(text):
    with pytest.raises(ValueError):
        Layout.parse(text)


def test_expand_index_and_spelling():
    layout = Layout.parse("n...c")
    assert layout.expand(4) == ("N", "?", "?", "C") and layout.index("C", 4) == 3 and layout.index("N", 2) == 0
    assert layout.index("H", 4) is None and str(layout) == "[N,...,C]" and str(Layout.parse("nchw")) == "[N,C,H,W]"
    assert not Layout.parse("nchw").fits(3) and Layout.parse("nc...").fits(2)
    with pytest.raises(ValueError):
        Layout.parse("nchw").expand(5)


def test_transpose_order():
    assert transpose_order(Layout.parse("nchw"), Layout.parse("nhwc"), 4) == [0, 2, 3, 1]
    assert transpose_order(Layout.parse("nhwc"), Layout.parse("nchw"), 4) == [0, 3, 1, 2]
    assert transpose_order(Layout.parse("nc?"), Layout.parse("nc?"), 3) == [0, 1, 2]
    with pytest.raises(ValueError):
        transpose_order(Layout.parse("nchw"), Layout.parse("ncdw"), 4)
    with pytest.raises(ValueError):
        transpose_order(Layout.parse("nc??"), Layout.parse("n??c"), 4)
