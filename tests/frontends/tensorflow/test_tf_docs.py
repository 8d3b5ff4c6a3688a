"""docs/SUPPORTED_OPS.md's TensorFlow section is the one generated from the op table.
Regenerate with: python -m irforge.frontends.tensorflow.docs"""
from pathlib import Path

from irforge.frontends.tensorflow import docs

DOC = Path(__file__).resolve().parents[3] / "docs" / "SUPPORTED_OPS.md"


def test_supported_ops_doc_matches_the_table():
    text = DOC.read_text()
    assert docs.BEGIN in text, "docs/SUPPORTED_OPS.md has no TensorFlow section: python -m irforge.frontends.tensorflow.docs"
    assert docs.updated(text) == text, "the TensorFlow op table changed: python -m irforge.frontends.tensorflow.docs"
