"""docs/SUPPORTED_OPS.md's ONNX section is the generated one (python -m irforge.tools.supported_ops onnx), and it
covers every operator of the default ONNX domain."""
from irforge.frontends.onnx.docs import default_domain_ops
from irforge.tools.supported_ops import DOC, generate, markers


def test_onnx_section_is_current():
    text = DOC.read_text()
    begin, end = markers("onnx")
    assert begin in text, "docs/SUPPORTED_OPS.md has no ONNX section: run python -m irforge.tools.supported_ops"
    current = begin + text.split(begin, 1)[1].split(end, 1)[0] + end + "\n"
    fresh = generate("onnx")
    assert current == fresh, "the ONNX section is out of date: run python -m irforge.tools.supported_ops onnx"
    for op in default_domain_ops():
        assert f"\n| {op} |" in fresh, f"{op} is missing from the ONNX section"
