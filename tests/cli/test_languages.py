"""The command speaks the terminal's language: `--lang`, else the gettext environment variables.

Expected texts are read from the compiled catalogues, and each is checked to differ from the
English, so these tests fail when the command prints English or a catalogue lacks the text.
"""

import json

import pytest

from issuer.cli import EXIT_NEGATIVE, EXIT_OK, EXIT_USAGE, main
from issuer.cli.i18n import choose_language
from issuer.languages import catalogue


def translation(language: str, text: str, **params) -> str:
    translated = catalogue(language).gettext(text)
    assert translated != text, f"{language} catalogue lacks {text!r}"
    return translated % params if params else translated


@pytest.mark.parametrize(("requested", "environ", "expected"), [
    (None, {}, "en"),
    (None, {"LANG": "fr_BE.UTF-8"}, "fr"),
    (None, {"LANG": "C.UTF-8"}, "en"),
    (None, {"LANG": "de_DE.UTF-8"}, "en"),
    (None, {"LANGUAGE": "de:pl", "LANG": "fr_BE.UTF-8"}, "pl"),  # a priority list
    (None, {"LC_ALL": "nl_BE.UTF-8", "LANG": "fr_BE.UTF-8"}, "nl"),
    (None, {"LC_MESSAGES": "es_ES.UTF-8", "LANG": "it_IT.UTF-8"}, "es"),
    (None, {"LC_ALL": "C", "LANG": "it_IT.UTF-8"}, "en"),  # the first variable set decides
    ("it", {"LANG": "pl_PL.UTF-8"}, "it"),
    ("PL", {}, "pl"),
])
def test_the_language_comes_from_the_option_then_the_environment(requested, environ, expected):
    assert choose_language(requested, environ) == expected


def tampered(signed_file, tmp_path):
    document = json.loads(signed_file.read_text("utf-8"))
    document["credentialSubject"]["achievement"]["name"] = "Forged"
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(document), "utf-8")
    return path


def test_verify_reports_in_the_language_of_the_option(signed_file, tmp_path, capsys):
    assert main(["--lang", "fr", "verify", str(tampered(signed_file, tmp_path))]) == EXIT_NEGATIVE
    out = capsys.readouterr().out
    assert translation("fr", "verdict: %(verdict)s", verdict=translation("fr", "invalid")) in out
    assert translation("fr", "the signature does not match the document") in out
    assert "the signature does not match" not in out


def test_the_option_may_follow_the_command(signed_file, capsys):
    assert main(["verify", str(signed_file), "--lang=pl"]) == EXIT_OK
    out = capsys.readouterr().out
    assert translation("pl", "verdict: %(verdict)s", verdict=translation("pl", "valid")) in out


def test_the_terminal_language_is_used_without_the_option(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LANG", "nl_BE.UTF-8")
    missing = tmp_path / "missing.json"
    missing.write_text("[1, 2]", "utf-8")
    assert main(["sign", str(missing), "--key", str(missing), "--verification-method", "x"]) \
        == EXIT_USAGE
    err = capsys.readouterr().err
    reason = translation("nl", "%(file)s must hold a JSON object", file=missing)
    assert err == translation("nl", "sky-badges: error: %(reason)s", reason=reason) + "\n"


def test_catalogue_problems_are_printed_in_the_terminal_language(tmp_path, capsys):
    (tmp_path / "trainings").mkdir()
    (tmp_path / "trainings" / "broken.toml").write_text('id = "broken"\n', "utf-8")
    assert main(["--lang", "es", "templates", "check", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert translation("es", "is required") in out
    assert " is required" not in out


def test_help_is_translated(capsys):
    with pytest.raises(SystemExit):
        main(["--lang", "it", "verify", "--help"])
    assert translation("it", "print the full report as JSON") in capsys.readouterr().out


def test_an_unknown_language_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as raised:
        main(["--lang", "de", "verify", "x.json"])
    assert raised.value.code == EXIT_USAGE
    assert "de" in capsys.readouterr().err


def test_json_reports_stay_english_for_programs(signed_file, tmp_path, capsys):
    main(["--lang", "fr", "verify", "--json", str(tampered(signed_file, tmp_path))])
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "invalid"
    assert "the signature does not match the document" in json.dumps(report)


def test_argparse_usage_and_errors_are_translated_and_argparse_is_left_as_it_was(capsys):
    import argparse

    original = argparse._
    with pytest.raises(SystemExit) as raised:
        main(["--lang", "fr", "verify"])
    assert raised.value.code == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith(translation("fr", "usage: ") + "sky-badges verify")
    required = translation("fr", "the following arguments are required: %s") % "file"
    assert translation("fr", "%(prog)s: error: %(message)s\n",
                       prog="sky-badges verify", message=required) in err
    assert argparse._ is original


def test_the_command_prints_no_english_literal_outside_gettext():
    """The CLI's twin of the template scan: words printed or shown in help go through `_()`.

    A literal (or an f-string with words in it) passed to print(), UsageError() or as a
    help/description text fails; f-strings of values and punctuation only (a table row) pass.
    """
    import ast
    from pathlib import Path

    import issuer.cli

    def has_words(node) -> bool:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return any(ch.isalpha() for ch in node.value)
        if isinstance(node, ast.JoinedStr):
            return any(has_words(part) for part in node.values if isinstance(part, ast.Constant))
        return False

    found = []
    for path in Path(issuer.cli.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            texts = list(node.args) if name in ("print", "UsageError") else []
            texts += [k.value for k in node.keywords if k.arg in ("help", "description")]
            found += [f"{path.name}:{text.lineno}" for text in texts if has_words(text)]
    assert found == []
