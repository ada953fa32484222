"""Languages: every catalogue complete, every template's text translated.

The tests read the committed files under issuer/translations and re-extract the messages from
the source tree, so a string added without a translation in every language fails here. The
reader's language and localised dates are tested through pages in tests/web/test_i18n.py.
"""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from babel.util import pathmatch
from jinja2 import Environment, nodes

from issuer.web import i18n

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "issuer" / "translations"
TEMPLATES = ROOT / "issuer" / "web" / "templates"
LANGUAGES = ("fr", "nl", "it", "es", "pl")
KEYWORDS = {
    **DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None, "lazy_ngettext": (1, 2), "N_": None,
    "plural_forms": (1, 2),
}


# --- catalogues ------------------------------------------------------------------------------


def catalogue(language: str):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po)


def extracted_messages() -> dict:
    """Every message the source tree marks for translation today, as babel.cfg maps it.

    Keyed by (msgid, context): `pgettext("API token", "revoked")` is its own entry.
    """
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = {}
    for filename, _line, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault((msgid, context), filename)
    return found


def forms(message) -> list[str]:
    """The translation's forms: one, or one per plural form."""
    string = message.string
    return list(string) if isinstance(string, tuple | list) else [string]


def _key(msgid) -> str | tuple:
    return msgid if isinstance(msgid, str) else tuple(msgid)


def placeholders(text: str) -> set[str]:
    """`%(name)s`, `%s` and `{name}` placeholders of a message (`%%` is a literal sign)."""
    percent = re.findall(r"%(?:\(\w+\))?[#0 +-]*\d*(?:\.\d+)?[sdifrx]", text.replace("%%", ""))
    braces = re.findall(r"\{\w*\}", text)
    return set(percent) | set(braces)


def placeholder_mismatches(msgids: tuple[str, ...], translations: list[str]) -> list[str]:
    """Translations that drop or invent a placeholder (plural forms may use either msgid's)."""
    expected = set().union(*(placeholders(msgid) for msgid in msgids))
    wrong = []
    for text in translations:
        found = placeholders(text)
        if found - expected or (len(msgids) == 1 and found != expected):
            wrong.append(text)
    return wrong


@pytest.fixture(scope="module")
def source_messages() -> dict:
    return extracted_messages()


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_has_no_untranslated_entry(language):
    untranslated = [m.id for m in catalogue(language) if m.id and not all(forms(m))]
    assert untranslated == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_has_no_fuzzy_entry(language):
    fuzzy = [m.id for m in catalogue(language) if m.id and m.fuzzy]
    assert fuzzy == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_holds_every_message_of_the_source(language, source_messages):
    messages = catalogue(language)
    missing = {key: where for key, where in source_messages.items()
               if messages.get(key[0], context=key[1]) is None}
    assert missing == {}, "run the update step of docs/TRANSLATING.md, then translate"


def test_babel_cfg_reaches_every_module_that_marks_texts():
    # A module babel.cfg does not map is never extracted, so its texts would silently stay
    # English and no completeness test would notice.
    with open(ROOT / "babel.cfg") as cfg:
        method_map, _options = parse_mapping_cfg(cfg)
    marking = re.compile(r"\b(?:N_|_|gettext|lazy_gettext|pgettext)\(")
    unmapped = [path.relative_to(ROOT).as_posix() for path in (ROOT / "issuer").rglob("*.py")
                if marking.search(path.read_text("utf-8"))
                and not any(pathmatch(pattern, path.relative_to(ROOT).as_posix())
                            for pattern, method in method_map if method == "python")]
    assert unmapped == []


def test_committed_template_holds_every_message_of_the_source(source_messages):
    with open(TRANSLATIONS / "messages.pot", "rb") as pot:
        template = read_po(pot)
    held = {(m.id if isinstance(m.id, str) else m.id[0], m.context) for m in template}
    assert sorted(set(source_messages) - held, key=str) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_its_source(language):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo", "rb") as mo:
        compiled = {(m.context, _key(m.id)): tuple(forms(m)) for m in read_mo(mo) if m.id}
    source = {(m.context, _key(m.id)): tuple(forms(m))
              for m in catalogue(language) if m.id and all(forms(m))}
    assert {key: compiled.get(key) for key in source} == source


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_every_placeholder(language):
    wrong = {}
    for message in catalogue(language):
        msgids = tuple(message.id) if isinstance(message.id, tuple | list) else (message.id,)
        translated = [text for text in forms(message) if text]
        mismatches = placeholder_mismatches(msgids, translated) if message.id else []
        if mismatches:
            wrong[msgids[0]] = mismatches
    assert wrong == {}


def test_placeholder_check_catches_a_dropped_or_renamed_placeholder():
    assert placeholder_mismatches(("Awarded to %(name)s",), ["Décerné"]) == ["Décerné"]
    assert placeholder_mismatches(("Page %(page)s",), ["Page %(pages)s"]) == ["Page %(pages)s"]
    assert placeholder_mismatches(("{n} left",), ["reste {n}"]) == []


# --- templates -------------------------------------------------------------------------------

# Words that are the same in every language: brand and product names, identifiers, and the
# switcher's language names (each written in its own language on purpose).
ALLOWED_WORDS = (
    "SKY Badges", "Open Badges 3.0", "Open Badges", "did:web", "did.json", "LinkedIn",
    *i18n.LANGUAGES.values(),
)
VISIBLE_ATTRIBUTES = {"alt", "title", "aria-label", "placeholder"}
NOT_TEXT = {"script", "style", "code", "kbd", "samp"}  # code and file formats stay as written
_EXPRESSION = re.compile(r"\{\{.*?\}\}", re.S)
_STATEMENT = re.compile(r"\{%.*?%\}|\{#.*?#\}", re.S)
_TRANS_BLOCK = re.compile(r"\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}", re.S)
_LETTER = re.compile(r"[^\W\d_]")
_ATTRIBUTE_TEXT = re.compile(r'^\s*[\w-]+="[^"]*"\s*$')  # a macro that outputs an attribute
_jinja = Environment(extensions=["jinja2.ext.i18n"])


class _TextFinder(HTMLParser):
    """Collects the text a reader sees, with every Jinja expression already replaced."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in NOT_TEXT
        for name, value in attrs:
            shown = name in VISIBLE_ATTRIBUTES or (
                name == "value" and tag == "input"
                and dict(attrs).get("type") in ("submit", "button")
            )
            if shown:
                self._check(value or "")

    def handle_endtag(self, tag):
        self.hidden -= tag in NOT_TEXT

    def handle_data(self, data):
        if not self.hidden and not _ATTRIBUTE_TEXT.match(data.replace("\0", "")):
            self._check(data)

    def _check(self, text):
        rest = text.replace("\0", " ")
        for word in ALLOWED_WORDS:
            rest = rest.replace(word, " ")
        rest = re.sub(r"https?://\S+", " ", rest)
        if _LETTER.search(rest):
            self.found.append(" ".join(text.replace("\0", "…").split()))


def untranslated_markup(source: str) -> list[str]:
    """Text and visible attributes of a template that are not inside `_()` or `{% trans %}`."""
    source = _TRANS_BLOCK.sub("\0", source)
    source = _STATEMENT.sub("", source)
    source = _EXPRESSION.sub(" \0 ", source)
    finder = _TextFinder()
    finder.feed(source)
    finder.close()
    return finder.found


def untranslated_literals(source: str) -> list[str]:
    """String literals printed as they are: `{{ "Yes" if done else "No" }}`.

    Single lower-case words (CSS classes, ARIA roles) are not reader text.
    """
    found = []
    for output in _jinja.parse(source).find_all(nodes.Output):
        for child in output.nodes:
            if isinstance(child, nodes.TemplateData):
                continue
            for value in _printed_strings(child):
                if _LETTER.search(value) and not re.fullmatch(r"[a-z-]+", value):
                    found.append(value)
    return found


def _printed_strings(expression):
    if isinstance(expression, nodes.Const) and isinstance(expression.value, str):
        yield expression.value
    elif isinstance(expression, nodes.CondExpr):
        yield from _printed_strings(expression.expr1)
        if expression.expr2 is not None:
            yield from _printed_strings(expression.expr2)
    elif isinstance(expression, nodes.Or | nodes.And):
        yield from _printed_strings(expression.left)
        yield from _printed_strings(expression.right)
    elif isinstance(expression, nodes.Concat):
        for part in expression.nodes:
            yield from _printed_strings(part)


def template_problems(source: str) -> list[str]:
    return untranslated_markup(source) + untranslated_literals(source)


def test_templates_have_no_untranslated_text():
    problems = {}
    for path in sorted(TEMPLATES.rglob("*.html")):
        found = template_problems(path.read_text("utf-8"))
        if found:
            problems[str(path.relative_to(TEMPLATES))] = found
    assert problems == {}


def test_template_scan_finds_bare_text_attributes_and_literals():
    source = (
        '{% block title %}Log in{% endblock %}<nav aria-label="Account">'
        '<p>{{ user }} is here</p><button>{{ "Yes" if ok else "No" }}</button></nav>'
    )
    assert template_problems(source) == ["Log in", "Account", "… is here", "Yes", "No"]


def test_template_scan_accepts_translated_text_and_allowed_words():
    source = (
        '{% block title %}{{ _("Log in") }} — SKY Badges{% endblock %}'
        '<nav aria-label="{{ _(\'Account\') }}"><a lang="pl" href="https://x.example/a">Polski</a>'
        '<p class="{{ \'error\' if bad }}"><code>activity_start</code></p>'
        "{% trans %}Hello {{ name }}{% endtrans %}</nav>"
    )
    assert template_problems(source) == []


# --- views -----------------------------------------------------------------------------------

WEB = ROOT / "issuer" / "web"


def untranslated_flashes(source: str) -> list[str]:
    """`flash("…")` and `flash(f"…")` calls: a flashed message is read, so it goes through `_()`."""
    found = []
    for call in ast.walk(ast.parse(source)):
        if (isinstance(call, ast.Call) and getattr(call.func, "id", None) == "flash" and call.args
                and isinstance(call.args[0], ast.Constant | ast.JoinedStr)):
            found.append(ast.unparse(call.args[0]))
    return found


def test_views_flash_only_translated_messages():
    problems = {path.name: untranslated_flashes(path.read_text("utf-8"))
                for path in sorted(WEB.glob("*.py"))}
    assert {name: found for name, found in problems.items() if found} == {}


def test_flash_scan_finds_a_literal_message():
    source = 'flash("Saved.", "info")\nflash(_("Saved."))\nflash(f"{n} saved")\n'
    assert untranslated_flashes(source) == ["'Saved.'", "f'{n} saved'"]
