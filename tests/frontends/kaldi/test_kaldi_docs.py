"""docs/SUPPORTED_OPS.md's Kaldi section is the one generated from the component tables."""
from pathlib import Path

from irforge.frontends.kaldi import table

DOC = Path(__file__).resolve().parents[3] / "docs" / "SUPPORTED_OPS.md"


def test_supported_ops_kaldi_section_is_generated_from_the_tables():
    text = DOC.read_text()
    assert table.BEGIN in text and table.END in text
    assert table.update_doc(text) == text, "run `python -m irforge.frontends.kaldi.table --write`"


def test_tables_are_consistent():
    for family in (table.NNET3_COMPONENTS, table.NNET1_COMPONENTS):
        for name, (factory, note) in family.items():
            assert note, name
            assert callable(factory) or name == "ParallelComponent", name
    known = set(table.NNET3_COMPONENTS) | set(table.NNET1_COMPONENTS)
    assert not known & set(table.NOT_SUPPORTED)
