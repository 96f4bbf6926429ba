from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from amparo.accounts.decorators import network_admin_required
from amparo.vocab import services
from amparo.vocab.forms import TermAddForm, TermLabelForm
from amparo.vocab.models import Term, Vocabulary


@network_admin_required
def vocabulary_list(request: HttpRequest) -> HttpResponse:
    groups = [(label, Term.objects.filter(vocabulary=value).order_by("sort_order")) for value, label in Vocabulary.choices]
    return render(request, "vocab/list.html", {"groups": groups, "add_form": TermAddForm()})


@network_admin_required
@require_http_methods(["GET", "POST"])
def term_edit(request: HttpRequest, term_id: int) -> HttpResponse:
    term = get_object_or_404(Term, pk=term_id)
    form = TermLabelForm(request.POST or None, initial={"label_es": term.label_es, "label_en": term.label_en})
    if request.method == "POST" and form.is_valid():
        services.term_relabel(term=term, acting_user=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        messages.success(request, _("Saved. The earlier wording is kept in the history."))
        return redirect("vocab:list")
    return render(request, "vocab/edit.html", {"term": term, "form": form, "revisions": term.revisions.order_by("-version")}, status=400 if form.errors else 200)


@network_admin_required
@require_POST
def term_add_view(request: HttpRequest) -> HttpResponse:
    form = TermAddForm(request.POST)
    if form.is_valid():
        try:
            services.term_add(acting_user=request.user, **form.cleaned_data)  # type: ignore[arg-type]
            messages.success(request, _("Term added."))
            return redirect("vocab:list")
        except ValidationError as exc:
            for field, errs in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errs)
    groups = [(label, Term.objects.filter(vocabulary=value)) for value, label in Vocabulary.choices]
    return render(request, "vocab/list.html", {"groups": groups, "add_form": form}, status=400)


@network_admin_required
@require_POST
def term_toggle(request: HttpRequest, term_id: int) -> HttpResponse:
    term = get_object_or_404(Term, pk=term_id)
    services.term_set_active(term=term, active=not term.is_active, acting_user=request.user)  # type: ignore[arg-type]
    return redirect("vocab:list")
