"""Building the public report form and turning its cleaned data into a service input.

Shared by the HTML views and the JSON API so both apply the same choices and rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from amparo.evidence import sanitize
from amparo.intake import conf, plain
from amparo.intake.forms import NOT_SAID, ReportForm, district_matches
from amparo.intake.services import ReportInput
from amparo.places.models import District
from amparo.places.selectors import departments
from amparo.places.ubigeo import normalise
from amparo.vocab.models import Vocabulary
from amparo.vocab.selectors import terms


def _resolve_district(department: str, typed: str) -> list[District]:
    # Narrow by the name's first words in SQL (search_name is "name province department", folded).
    name = " ".join(normalise(typed.split("(")[0]).split())
    rows = District.objects.filter(department_id=department, search_name__startswith=f"{name} ").select_related("province")
    found = district_matches(districts=[(d, d.name, d.province.name) for d in rows], typed=typed)
    for district in found:
        district.choice_label = f"{district.name} ({district.province.name})"  # type: ignore[attr-defined]
    return found


# Vocabularies change rarely (network admins edit them); a minute of staleness is fine and
# saves three queries on every load of the most visited page.
CHOICES_TTL_SECONDS = 60


def choices() -> dict[str, list[tuple[str, str]]]:
    """Violation, perpetrator and region choices in the active language."""
    key = f"intake:choices:{get_language()}"
    cached = cache.get(key)
    if cached is None:
        cached = {
            "violations": [(t.code, str(plain.VIOLATIONS.get(t.code, t.label))) for t in terms(vocabulary=Vocabulary.VIOLATION)],
            "perpetrators": [(t.code, t.label) for t in terms(vocabulary=Vocabulary.PERPETRATOR)],
            "departments": [(d.code, d.name) for d in departments()],
        }
        cache.set(key, cached, CHOICES_TTL_SECONDS)
    return cached


def report_form(data: Any = None) -> ReportForm:
    """The form with choices in the active language."""
    options = choices()
    return ReportForm(
        data,
        violation_choices=options["violations"],
        perpetrator_choices=options["perpetrators"],
        department_choices=options["departments"],
        district_resolver=_resolve_district,
    )


def validate_files(uploads: Sequence[UploadedFile]) -> list[str]:
    """Errors for the uploaded files (empty when all are acceptable).

    The quick checks (size, type read from the first bytes) answer here, before anything is
    saved; the sanitizer itself runs once, when the service keeps the file (`evidence_store`),
    and what it refuses there comes back the same way (a translated 400/422, nothing kept).
    """
    errors = []
    if len(uploads) > conf.MAX_FILES:
        errors.append(_("You can send up to %(n)d files.") % {"n": conf.MAX_FILES})
    for uploaded in uploads:
        try:
            sanitize.check_size(uploaded.size or 0, max_bytes=conf.MAX_FILE_BYTES)
            uploaded.seek(0)
            head = uploaded.read(64)
            uploaded.seek(0)
            if sanitize.sniff(head) is None:
                raise sanitize.FileRefused(sanitize.refused_type_message(), code="type")
        except sanitize.FileRefused as exc:
            errors.append(f"{uploaded.name or _('File')}: {exc.message}")
    return errors


def poster_token(value: str) -> str:
    """The venue poster's token as the QR code carried it, if it looks like one; echoed back in
    the form whether or not it names a venue, so the page says nothing about it."""
    from amparo.programmes.selectors import poster_token_well_formed

    value = (value or "").strip()
    return value if poster_token_well_formed(value) else ""


def poster_venue(organisation: Any, token: str) -> Any:
    from amparo.programmes.selectors import venue_for_poster_token

    return venue_for_poster_token(organisation_id=organisation.pk, token=token)


def report_input(form: ReportForm, *, uploads: Sequence[UploadedFile], language: str, venue: Any = None) -> ReportInput:
    data = form.cleaned_data
    department = data.get("department", "")
    withheld = department == NOT_SAID
    return ReportInput(
        violation_codes=list(data["violations"]),
        perpetrator_codes=list(data.get("perpetrators") or []),
        occurred_on=data.get("occurred_on"),
        date_precision=data["date_precision"],
        location_withheld=withheld,
        department_code="" if withheld else department,
        district=None if withheld else form.district_obj,
        reporter=data["reporter"],
        narrative=data["narrative"],
        contact=data.get("contact", ""),
        consent_store=data["consent_store"],
        consent_share_stats=data.get("consent_share_stats", False),
        consent_help=data.get("consent_help", False),
        consent_legal_action=data.get("consent_legal_action", False),
        language=language,
        uploads=list(uploads),
        venue=venue,
    )


def max_request_bytes() -> int:
    """The largest body a submission may have: every file at its limit, plus the text."""
    return conf.MAX_FILES * conf.MAX_FILE_BYTES + 512 * 1024


def checkboxes(name: str, options: list[tuple[str, str]], chosen: set[str]) -> SafeString:
    """The checkbox list of a choice field (built here: the template loop was most of the page's time)."""
    return format_html_join(
        "", '<label><input type="checkbox" name="{}" value="{}"{}>{}</label>',
        ((name, code, mark_safe(" checked") if code in chosen else "", label) for code, label in options),
    )


def select_options(options: list[tuple[str, str]], selected: str) -> SafeString:
    return format_html_join(
        "", '<option value="{}"{}>{}</option>',
        ((code, mark_safe(" selected") if code == selected else "", label) for code, label in options),
    )
