from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from amparo.accounts.models import User
from amparo.audit import services as audit
from amparo.vocab.models import Term, TermRevision, Vocabulary


@transaction.atomic
def term_relabel(*, term: Term, acting_user: User, label_es: str, label_en: str, description_es: str = "", description_en: str = "") -> Term:
    """Reword a term. The previous wording is kept as a revision; the code never changes."""
    if not label_es.strip() or not label_en.strip():
        raise ValidationError(_("Both labels are needed."))
    TermRevision.objects.create(
        term=term, version=term.version, label_es=term.label_es, label_en=term.label_en,
        description_es=term.description_es, description_en=term.description_en, changed_by=acting_user,
    )
    term.label_es, term.label_en = label_es.strip()[:120], label_en.strip()[:120]
    term.description_es, term.description_en = description_es, description_en
    term.version += 1
    term.save()
    audit.record(actor=acting_user, action="vocab.term_relabelled", target=term, fields=["label_es", "label_en"], detail={"version": term.version})
    return term


@transaction.atomic
def term_add(*, vocabulary: str, code: str, label_es: str, label_en: str, acting_user: User, right_group: str = "", is_state_agent: bool = False) -> Term:
    if vocabulary not in Vocabulary.values:
        raise ValidationError({"vocabulary": _("Unknown vocabulary.")})
    code = code.strip().lower()
    if not code.replace("_", "").isalnum():
        raise ValidationError({"code": _("Use lower-case letters, digits and _ only.")})
    if Term.objects.filter(vocabulary=vocabulary, code=code).exists():
        raise ValidationError({"code": _("That code exists already (codes are never reused).")})
    order = (Term.objects.filter(vocabulary=vocabulary).order_by("-sort_order").values_list("sort_order", flat=True).first() or 0) + 1
    term = Term.objects.create(
        vocabulary=vocabulary, code=code, label_es=label_es.strip()[:120], label_en=label_en.strip()[:120],
        right_group=right_group, is_state_agent=is_state_agent, sort_order=order,
    )
    audit.record(actor=acting_user, action="vocab.term_added", target=term)
    return term


@transaction.atomic
def term_set_active(*, term: Term, active: bool, acting_user: User) -> Term:
    """Retire or restore a term. Retired terms stay on old records but are not offered for new ones."""
    term.is_active = active
    term.save(update_fields=["is_active", "updated_at"])
    audit.record(actor=acting_user, action="vocab.term_restored" if active else "vocab.term_retired", target=term)
    return term
