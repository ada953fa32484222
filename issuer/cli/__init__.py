"""The `sky-badges` command.

Other tools script against it, so its sub-commands, options and exit codes are stable:
0 success (for `verify`: the credential is valid), 1 a negative answer (not valid, problems found),
2 unusable input. Bad input prints one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from issuer import __version__
from issuer.core.errors import BadgeError

EXIT_OK, EXIT_NEGATIVE, EXIT_USAGE = 0, 1, 2

# Each module contributes sub-commands through `register(subparsers)`.
COMMAND_MODULES = (
    "issuer.cli.core_commands",
    "issuer.cli.cards_command",
    "issuer.cli.service_commands",
)


class UsageError(Exception):
    """Input the command cannot use: reported in one line, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sky-badges", description="Open Badges 3.0 issuer and verifier for micro-trainings."
    )
    parser.add_argument("--version", action="version", version=f"sky-badges {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or EXIT_OK)
    except (UsageError, BadgeError, OSError, ValueError) as error:
        print(f"sky-badges: error: {_one_line(error)}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away: not an error of ours, and nothing left to say.
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        return 130


def _one_line(error: Exception) -> str:
    if isinstance(error, OSError) and error.filename:
        return f"{error.strerror}: {error.filename}"
    return " ".join(str(error).split()) or type(error).__name__


if __name__ == "__main__":
    sys.exit(main())
