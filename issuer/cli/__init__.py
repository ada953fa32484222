"""The `sky-badges` command.

Other tools script against it, so its sub-commands, options and exit codes are stable:
0 success (for `verify`: the credential is valid), 1 a negative answer (not valid, problems found),
2 unusable input. Bad input prints one line on stderr, never a traceback. Messages for people
are in the terminal's language (`--lang`, else LANGUAGE/LC_ALL/LC_MESSAGES/LANG; see i18n.py).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

from issuer import __version__
from issuer.core import extra_contexts
from issuer.core.errors import BadgeError
from issuer.languages import LANGUAGES

from .i18n import _, activate, argparse_speaking, choose_language, tr

EXIT_OK, EXIT_NEGATIVE, EXIT_USAGE = 0, 1, 2

# Each module contributes sub-commands through `register(subparsers)`.
COMMAND_MODULES = (
    "issuer.cli.core_commands",
    "issuer.cli.cards_command",
    "issuer.cli.service_commands",
    "issuer.cli.org_commands",
    "issuer.cli.backup_commands",
)


class UsageError(Exception):
    """Input the command cannot use: reported in one line, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sky-badges", description=_("Open Badges 3.0 issuer and verifier for micro-trainings.")
    )
    parser.add_argument("--version", action="version", version=f"sky-badges {__version__}",
                        help=_("show the version and exit"))
    parser.add_argument("--lang", choices=sorted(LANGUAGES), metavar="LANG",
                        help=_("language of the messages: %(languages)s (default: the terminal's)",
                               languages=", ".join(LANGUAGES)))
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv, requested = _take_language(sys.argv[1:] if argv is None else list(argv))
    activate(choose_language(requested, os.environ))
    with argparse_speaking():
        args = build_parser().parse_args(argv)
    try:
        if os.environ.get("SKY_EXTRA_CONTEXTS"):
            extra_contexts.register_index(Path(os.environ["SKY_EXTRA_CONTEXTS"]))
        return int(args.handler(args) or EXIT_OK)
    except (UsageError, BadgeError, OSError, ValueError) as error:
        print(_("sky-badges: error: %(reason)s", reason=_one_line(error)), file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away: not an error of ours, and nothing left to say.
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        return 130


def _take_language(argv: list[str]) -> tuple[list[str], str | None]:
    """Remove `--lang X` / `--lang=X` wherever it is, so it works before or after the command.

    The language must be known before the parser is built: its help texts are translated.
    """
    rest, requested, values = [], None, iter(argv)
    for arg in values:
        if arg == "--":
            rest += [arg, *values]
        elif arg == "--lang":
            requested = next(values, None)
            if requested not in LANGUAGES:
                rest += [arg] + ([requested] if requested is not None else [])  # argparse says why
        elif arg.startswith("--lang="):
            requested = arg.partition("=")[2]
            if requested not in LANGUAGES:
                rest.append(arg)
        else:
            rest.append(arg)
    return rest, requested


def _one_line(error: Exception) -> str:
    if isinstance(error, OSError) and error.filename:
        return f"{error.strerror}: {error.filename}"
    return " ".join(tr(error).split()) or type(error).__name__


if __name__ == "__main__":
    sys.exit(main())
