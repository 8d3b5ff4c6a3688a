"""docs/CLI.md is generated from the flag table and documents every flag with an example; the flags, the
ConversionOptions fields and convert_model's keywords stay one set."""
from dataclasses import fields
from pathlib import Path

from irforge.cli.docs import render
from irforge.cli.main import EXAMPLES, FLAGS, build_parser
from irforge.options import ConversionOptions

CLI_MD = Path(__file__).resolve().parents[2] / "docs" / "CLI.md"


def test_cli_md_is_the_generated_page():
    assert CLI_MD.read_text() == render(), "regenerate: python -m irforge.cli.docs > docs/CLI.md"


def test_every_flag_is_documented_with_an_example():
    text = CLI_MD.read_text()
    for _, flag, _, help_text in FLAGS:
        assert f"### `{flag}`" in text, flag
        assert flag in EXAMPLES and EXAMPLES[flag].startswith("mo ") and help_text, flag
    assert set(EXAMPLES) == {row[1] for row in FLAGS}


def test_flags_and_options_are_one_set():
    flags = {row[1][2:] for row in FLAGS}
    options = {f.name for f in fields(ConversionOptions)}
    assert flags == options, (sorted(flags - options), sorted(options - flags))
    parsed = vars(build_parser("mo").parse_args([]))
    assert set(parsed) - {"version"} == options


def test_help_lists_every_flag(capsys):
    import pytest
    from irforge.cli.main import mo_main
    with pytest.raises(SystemExit) as info:
        mo_main(["--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert all(row[1] in text for row in FLAGS)
