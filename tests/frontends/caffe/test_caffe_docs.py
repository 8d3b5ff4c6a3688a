"""docs/SUPPORTED_OPS.md's Caffe section is the one generated from the layer table (and every layer has notes)."""
from pathlib import Path

from irforge.frontends.caffe import docs
from irforge.frontends.caffe.table import LAYERS


def test_every_layer_has_notes():
    assert set(docs.NOTES) == set(LAYERS)


def test_supported_ops_page_is_current():
    page = (Path(__file__).resolve().parents[3] / "docs" / "SUPPORTED_OPS.md").read_text()
    assert docs.section() in page, "regenerate: python -m irforge.frontends.caffe.docs --write"
