"""`amparo evidence verify bundle.zip`: check an evidence bundle with no database and no master key.

Shared by the Django management command and by `amparo.cli`, which calls `standalone_main`
before loading Amparo's settings so that the check also works on a machine (a prosecutor's,
a court expert's) that has no configuration at all.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TextIO

from amparo.response.lib.bundle import Problem, VerifyReport, verify_bundle


def _messages() -> dict[str, str]:
    from django.utils.translation import gettext as _

    return {
        "not_a_zip": _("The file is not a ZIP archive or is damaged."),
        "too_many_members": _("The archive has too many entries to be a bundle."),
        "unsafe_member_name": _("An entry has an unsafe name (absolute path or '..')."),
        "duplicate_member": _("Two entries have the same name."),
        "missing_member": _("A required part of the bundle is missing."),
        "unreadable_member": _("An entry cannot be read (damaged or too large)."),
        "bad_public_key": _("The public key is not a valid Ed25519 key."),
        "bad_signature": _("The signature does not match the manifest: the manifest was altered or signed with another key."),
        "untrusted_key": _("The bundle was signed with a key whose fingerprint you did not give as trusted."),
        "bad_manifest": _("The manifest cannot be read."),
        "unknown_format": _("This is not an Amparo evidence bundle of a known format."),
        "key_mismatch": _("The public key is not the one named in the manifest."),
        "missing_file": _("A file listed in the manifest is missing."),
        "hash_mismatch": _("A file's SHA-256 fingerprint does not match the manifest: the file was altered."),
        "size_mismatch": _("A file's size does not match the manifest."),
        "unlisted_member": _("The archive holds a file the manifest does not list."),
        "sums_mismatch": _("SHA256SUMS does not agree with the manifest."),
    }


def describe(problem: Problem) -> str:
    text = _messages().get(problem.code, problem.code)
    if problem.path:
        text = f"{text} [{problem.path}]"
    return text


def render(report: VerifyReport, out: TextIO, *, as_json: bool = False) -> int:
    from django.utils.translation import gettext as _

    if as_json:
        payload = {
            "ok": report.ok,
            "fingerprint": report.fingerprint,
            "key_trusted": report.key_trusted,
            "files_checked": report.files_checked,
            "problems": [{"code": p.code, "path": p.path, "message": describe(p)} for p in report.problems],
        }
        out.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        return 0 if report.ok else 1
    manifest = report.manifest or {}
    case = manifest.get("case") or {}
    if case:
        out.write(_("Case: %(reference)s") % {"reference": case.get("reference", "?")} + "\n")
    if report.fingerprint:
        out.write(_("Signing key fingerprint: %(fp)s") % {"fp": report.fingerprint} + "\n")
    out.write(_("Files checked: %(n)d") % {"n": report.files_checked} + "\n")
    for problem in report.problems:
        out.write("✗ " + describe(problem) + "\n")
    if not report.ok:
        out.write(_("FAILED: this bundle cannot be trusted as it is.") + "\n")
        return 1
    out.write(_("OK: the signature is valid and every file matches its SHA-256 fingerprint.") + "\n")
    if not report.key_pinned:
        out.write(
            _(
                "Compare the fingerprint above with the one the organisation gave you separately, "
                "or pass it with --fingerprint."
            )
            + "\n"
        )
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bundle", help="path to bundle.zip")
    parser.add_argument(
        "--fingerprint",
        action="append",
        default=[],
        help="fingerprint of the key you trust (repeatable); without it only internal consistency is checked",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def run(bundle: str, fingerprints: list[str], as_json: bool, out: TextIO, err: TextIO) -> int:
    from django.utils.translation import gettext as _

    path = Path(bundle)
    if not path.is_file():
        err.write(_("No such file: %(path)s") % {"path": bundle} + "\n")
        return 2
    return render(verify_bundle(path, trusted_fingerprints=fingerprints), out, as_json=as_json)


def _language() -> str:
    for var in ("AMPARO_LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "en" if value.lower().startswith("en") else "es"
    return "es"


def standalone_main(argv: list[str]) -> int:
    """Entry point used by `amparo evidence verify …` without Amparo's settings."""
    import django
    from django.conf import settings
    from django.utils import translation

    if not settings.configured:
        settings.configure(
            USE_I18N=True,
            LANGUAGE_CODE="es",
            LANGUAGES=[("es", "Español"), ("en", "English")],
            LOCALE_PATHS=[str(Path(__file__).resolve().parent.parent / "locale")],
            INSTALLED_APPS=[],
            DATABASES={},
        )
        django.setup()
    parser = argparse.ArgumentParser(prog="amparo evidence verify")
    add_arguments(parser)
    args = parser.parse_args(argv)
    with translation.override(_language()):
        return run(args.bundle, args.fingerprint, args.json, sys.stdout, sys.stderr)
