"""Engine sub-commands: keys, sign, verify, bake, extract. Thin shells over `issuer.core`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from issuer.core import did, proofs
from issuer.core.keys import ED25519, P256, RSA, PrivateKey, PublicKey

from .i18n import _, tr
from .key_commands import add_withdraw

PASSPHRASE_ENV = "SKY_KEY_PASSPHRASE"
KEY_TYPES = {"ed25519": ED25519, "p256": P256, "rsa": RSA}


def register(subparsers) -> None:
    keys = subparsers.add_parser("keys", help=_("generate and inspect signing keys"))
    key_commands = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    generate = key_commands.add_parser(
        "generate", help=_("generate a key (encrypted PEM with $%(variable)s, or a private JWK)",
                           variable=PASSPHRASE_ENV)
    )
    generate.add_argument("--type", choices=sorted(KEY_TYPES), default="ed25519")
    generate.add_argument("--format", choices=["pem", "jwk"], default="pem")
    generate.add_argument("-o", "--output", type=Path, help=_("file to write (mode 600)"))
    generate.set_defaults(handler=keys_generate)
    show = key_commands.add_parser("show", help=_("print the public forms of a key file"))
    show.add_argument("file", type=Path)
    show.set_defaults(handler=keys_show)
    add_withdraw(key_commands)

    sign = subparsers.add_parser("sign", help=_("sign a credential (eddsa-rdfc-2022 or VC-JWT)"))
    sign.add_argument("input", type=Path)
    sign.add_argument("--key", type=Path, required=True, help=_("private JWK or encrypted PEM"))
    sign.add_argument("--verification-method", required=True, metavar="URL")
    sign.add_argument("--created", help=_("proof creation time, YYYY-MM-DDThh:mm:ssZ"))
    sign.add_argument("--jwt", action="store_true", help=_("output a VC-JWT instead"))
    sign.add_argument("-o", "--output", type=Path)
    sign.set_defaults(handler=sign_command)

    verify = subparsers.add_parser(
        "verify", help=_("verify a .json, baked .png/.svg, a JWT or the https URL of an Open "
                         "Badges 2.0 assertion"))
    verify.add_argument("file")
    verify.add_argument("--json", action="store_true", help=_("print the full report as JSON"))
    verify.add_argument("--email", help=_("check the hashed recipient identifier against it"))
    verify.add_argument(
        "--allow-http-loopback", action="store_true",
        help=_("let did:web/https resolve to loopback"),
    )
    verify.add_argument("--nonce", help=_("SD-JWT VC: the nonce the holder's key binding must "
                                          "carry"))
    verify.add_argument("--audience", help=_("SD-JWT VC: the audience the holder's key binding "
                                             "must name"))
    verify.set_defaults(handler=verify_command)

    bake = subparsers.add_parser("bake", help=_("bake a credential into a PNG or SVG"))
    bake.add_argument("credential", type=Path)
    bake.add_argument("image", type=Path)
    bake.add_argument("-o", "--output", type=Path, required=True)
    bake.set_defaults(handler=bake_command)

    extract = subparsers.add_parser("extract", help=_("print the credential baked in an image"))
    extract.add_argument("image", type=Path)
    extract.set_defaults(handler=extract_command)


def keys_generate(args) -> int:
    from issuer.cli import UsageError

    key = PrivateKey.generate(KEY_TYPES[args.type])
    if args.format == "jwk":
        if not args.output:
            raise UsageError(_("a private JWK is unencrypted: write it to a file with -o"))
        data = json.dumps(key.to_private_jwk(), indent=2).encode() + b"\n"
    else:
        data = key.to_encrypted_pem(_passphrase(required=True))
    if args.output:
        _write_private(args.output, data)
        _print_public(key.public_key)
    else:
        sys.stdout.buffer.write(data)
    return 0


def keys_show(args) -> int:
    _print_public(_load_any_key(args.file))
    return 0


def sign_command(args) -> int:
    from issuer.cli import UsageError
    from issuer.core import jwt, schema

    document = _read_json(args.input)
    key = PrivateKey.load(args.key.read_bytes(), _passphrase(required=False))
    if "proof" in document:
        raise UsageError(
            _("%(file)s already has a proof; give the unsigned credential", file=args.input))
    schema.validate(document)
    if args.jwt:
        output = jwt.sign_jwt(document, key, kid=args.verification_method) + "\n"
    else:
        signed = proofs.sign(document, key, args.verification_method, created=args.created)
        output = json.dumps(signed, indent=2, ensure_ascii=False) + "\n"
    _emit(output, args.output)
    return 0


def verify_command(args) -> int:
    from issuer.cli import EXIT_NEGATIVE, EXIT_OK, EXIT_USAGE
    from issuer.core.ob2 import is_assertion_url
    from issuer.core.resolver import KeyResolver
    from issuer.core.versions import verify_any_version
    from issuer.fetch import SafeFetcher

    if is_assertion_url(args.file):
        source = args.file
    else:
        source = Path(args.file).read_bytes()
        if sd_jwt_text := _sd_jwt_text(source):
            return _verify_sd_jwt(sd_jwt_text, args)
    fetcher = SafeFetcher(allow_http_loopback=args.allow_http_loopback)
    report = verify_any_version(
        source,
        resolver=KeyResolver(fetcher.fetch_json, allow_http_loopback=args.allow_http_loopback),
        fetch_json=fetcher.fetch_json,
        email=args.email,
    )
    if args.json:
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        _print_report(report)
    if report.valid:
        return EXIT_OK
    unusable = any(c.name == "parse" and c.status == "failed" for c in report.checks)
    return EXIT_USAGE if unusable else EXIT_NEGATIVE


def _sd_jwt_text(data: bytes) -> str | None:
    from issuer.services.sd_jwt_vc import looks_like_sd_jwt

    try:
        text = data.decode("ascii").strip()
    except UnicodeDecodeError:
        return None
    return text if looks_like_sd_jwt(text) else None


def _verify_sd_jwt(text: str, args) -> int:
    """An SD-JWT VC presentation: what was proven, what was not, what the holder disclosed."""
    from issuer.cli import EXIT_NEGATIVE, EXIT_OK
    from issuer.services.sd_jwt_vc import verify_presentation

    report = verify_presentation(None, text, nonce=args.nonce, audience=args.audience,
                                 allow_http_loopback=args.allow_http_loopback)
    if args.json:
        print(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
        return EXIT_OK if report.verified else EXIT_NEGATIVE
    if report.error:
        print(_("verdict: %(verdict)s", verdict=_("invalid")))
        print("  " + report.error)
        return EXIT_NEGATIVE
    verdict = _("valid") if report.verified else _("genuine, but not everything is proven")
    print(_("verdict: %(verdict)s", verdict=verdict) + " (SD-JWT VC)")
    print(_("issuer: %(name)s <%(id)s>", name=report.issuer_name or _("(no name)"),
            id=report.issuer))
    print(_("status: %(status)s", status=report.status or _("not checked")))
    for path, value in report.disclosed:
        print(_("disclosed: %(path)s = %(value)s", path=path,
                value=json.dumps(value, ensure_ascii=False)))
    for item in report.unproven:
        print(_("not proven: %(what)s", what=item))
    for item in report.warnings:
        print(_("warning: %(what)s", what=item))
    if report.expired:
        print(_("verdict: %(verdict)s", verdict=_("expired")))
    return EXIT_OK if report.verified else EXIT_NEGATIVE


def bake_command(args) -> int:
    from issuer.core import baking

    raw = args.credential.read_text("utf-8").strip()
    payload = json.loads(raw) if raw.startswith("{") else raw
    image = args.image.read_bytes()
    if image.startswith(b"\x89PNG"):
        baked = baking.bake_png(image, payload)
    else:
        baked = baking.bake_svg(image, payload)
    args.output.write_bytes(baked)
    return 0


def extract_command(args) -> int:
    from issuer.core import baking

    payload = baking.extract(args.image.read_bytes())
    print(
        json.dumps(payload, indent=2, ensure_ascii=False) if isinstance(payload, dict) else payload
    )
    return 0


def _print_report(report) -> None:
    print(_("verdict: %(verdict)s", verdict=_verdict_words()[report.verdict])
          + _status_caveat(report))
    if report.standard:
        print(_("checked as: %(standard)s", standard=report.standard))
    if report.issuer_id:
        print(_("issuer: %(name)s <%(id)s>", name=report.issuer_name or _("(no name)"),
                id=report.issuer_id))
    statuses = _status_words()
    width = max(len(word) for word in statuses.values())
    for check in report.checks:
        status = statuses.get(check.status, check.status)
        print(f"  [{status:>{width}}] {check.name}: {tr(check.message)}")


def _verdict_words() -> dict[str, str]:
    # The engine's verdict codes (issuer.core.verify_report.VERDICTS) in the reader's words.
    return {"valid": _("valid"), "revoked": _("revoked"), "suspended": _("suspended"),
            "expired": _("expired"), "not_yet_valid": _("not yet valid"), "invalid": _("invalid")}


def _status_words() -> dict[str, str]:
    return {"passed": _("passed"), "failed": _("failed"), "warning": _("warning"),
            "skipped": _("skipped")}


def _status_caveat(report) -> str:
    """A "valid" whose status list could not be checked must not read as "not revoked"."""
    if report.valid and report.status_checked is False:
        return " " + _("(genuine, but revocation status NOT checked: the issuer may have revoked"
                       " it; try again later)")
    return ""


def _print_public(key: PublicKey) -> None:
    lines = {"type": key.kind, "jwk": json.dumps(key.to_jwk())}
    if key.kind != RSA:
        lines["publicKeyMultibase"] = key.multibase
        lines["did:key"] = key.did_key
        lines["verificationMethod"] = key.did_key_vm
    for name, value in lines.items():
        print(f"{name}: {value}")
    if key.kind != RSA:
        print("didDocument: " + json.dumps(did.did_key_document(key.did_key), indent=2))


def _load_any_key(path: Path) -> PublicKey:
    data = path.read_bytes()
    if data.lstrip().startswith(b"{"):
        jwk = _read_json(path)
        if "d" not in jwk:
            return PublicKey.from_jwk(jwk)
    return PrivateKey.load(data, _passphrase(required=False)).public_key


def _passphrase(required: bool) -> str | None:
    from issuer.cli import UsageError

    value = os.environ.get(PASSPHRASE_ENV)
    if required and not value:
        raise UsageError(
            _("set %(variable)s to the passphrase that encrypts the key", variable=PASSPHRASE_ENV))
    return value


def _read_json(path: Path) -> dict:
    from issuer.cli import UsageError

    try:
        document = json.loads(path.read_text("utf-8"))
    except json.JSONDecodeError as error:
        raise UsageError(_("%(file)s is not valid JSON (line %(line)s: %(reason)s)",
                           file=path, line=error.lineno, reason=error.msg)) from None
    except UnicodeDecodeError:
        raise UsageError(_("%(file)s is not UTF-8 text", file=path)) from None
    if not isinstance(document, dict):
        raise UsageError(_("%(file)s must hold a JSON object", file=path))
    return document


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _emit(text: str, output: Path | None) -> None:
    if output:
        output.write_text(text, "utf-8")
    else:
        sys.stdout.write(text)
