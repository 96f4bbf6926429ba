from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from amparo.accounts import services
from amparo.accounts.decorators import role_required
from amparo.accounts.forms import (
    AcceptInvitationForm,
    ApiTokenForm,
    InvitationForm,
    LoginForm,
    OrganisationForm,
    RoleForm,
    TokenForm,
)
from amparo.accounts.models import ApiToken, Invitation, Membership, Role
from amparo.accounts.selectors import organisation_members
from amparo.accounts.sudo import sudo_grant, sudo_required
from amparo.accounts.totp import provisioning_qr_svg, provisioning_uri
from amparo.audit import services as audit
from amparo.lib.forms import errors_into
from amparo.lib.urls import absolute_url
from amparo.web.responses import action_refused


def _safe_next(request: HttpRequest) -> str:
    nxt = request.GET.get("next") or request.POST.get("next") or ""
    # Only relative paths on this site: never an open redirect.
    return nxt if nxt.startswith("/") and not nxt.startswith("//") else ""


@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(request, username=form.cleaned_data["username"], password=form.cleaned_data["password"])
        if user is not None:
            login(request, user)
            request.session["amparo_next"] = _safe_next(request)
            return redirect("accounts:two_factor")
        if getattr(request, "axes_locked_out", False):
            return render(request, "accounts/locked_out.html", status=429)
        form.add_error(None, _("The user name or password is not right."))
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/login.html", {"form": form, "next": _safe_next(request)}, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:login")


def _after_two_factor(request: HttpRequest) -> HttpResponse:
    services.login_recorded(user=request.user, success=True)  # type: ignore[arg-type]
    nxt = request.session.pop("amparo_next", "")
    return redirect(nxt or "web:home")


@sensitive_post_parameters("token")
@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    if request.user.is_verified():  # type: ignore[union-attr]
        return redirect("web:home")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    if device is None:
        return redirect("accounts:two_factor_enrol")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"].strip()):
            otp_login(request, device)
            return _after_two_factor(request)
        services.login_recorded(user=request.user, success=False, detail={"step": "totp"})  # type: ignore[arg-type]
        form.add_error("token", _("That code is not right or has expired. Try the current one."))
    return render(request, "accounts/two_factor.html", {"form": form}, status=400 if form.errors else 200)


@sensitive_post_parameters("token")
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_enrol(request: HttpRequest) -> HttpResponse:
    if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists() and not request.user.is_verified():  # type: ignore[union-attr]
        return redirect("accounts:two_factor")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None or request.method == "GET" and request.GET.get("new"):
        device = services.totp_device_start(user=request.user)  # type: ignore[arg-type]
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.totp_device_confirm(device=device, token=form.cleaned_data["token"].strip()):
            otp_login(request, device)
            messages.success(request, _("Two-factor authentication is on."))
            return _after_two_factor(request)
        form.add_error("token", _("That code is not right. Check your phone's time and try the current code."))
    context = {
        "form": form,
        "qr_svg": provisioning_qr_svg(device),
        "secret": provisioning_uri(device, secret_only=True),
    }
    return render(request, "accounts/two_factor_enrol.html", context, status=400 if form.errors else 200)


@sensitive_post_parameters("password")
@role_required()
@require_http_methods(["GET", "POST"])
def sudo_confirm(request: HttpRequest) -> HttpResponse:
    """Re-enter the password before an export, a bundle or a deletion."""
    nxt = _safe_next(request)
    error = ""
    if request.method == "POST":
        user = authenticate(request, username=request.user.get_username(), password=request.POST.get("password", ""))
        if user is not None and user.pk == request.user.pk:
            sudo_grant(request)
            audit.record(actor=request.user, action="user.sudo_confirmed", organisation=request.organisation)  # type: ignore[attr-defined]
            return redirect(nxt or "web:home")
        error = _("That password is not right.")
    return render(request, "accounts/sudo.html", {"next": nxt, "error": error}, status=400 if error else 200)


@role_required()
def security(request: HttpRequest) -> HttpResponse:
    tokens = ApiToken.objects.filter(membership=request.membership, revoked_at__isnull=True).order_by("-created_at")  # type: ignore[attr-defined]
    return render(request, "accounts/security.html", {"tokens": tokens, "token_form": ApiTokenForm()})


@role_required()
@require_POST
def sign_out_everywhere_view(request: HttpRequest) -> HttpResponse:
    services.sign_out_everywhere(user=request.user)  # type: ignore[arg-type]
    logout(request)
    return redirect("accounts:login")


@role_required()
@require_POST
def api_token_create_view(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        tokens = ApiToken.objects.filter(membership=request.membership, revoked_at__isnull=True)  # type: ignore[attr-defined]
        return render(request, "accounts/security.html", {"tokens": tokens, "token_form": form}, status=400)
    token, raw = services.api_token_create(membership=request.membership, name=form.cleaned_data["name"], acting_user=request.user)  # type: ignore[attr-defined,arg-type]
    return render(request, "accounts/token_created.html", {"token": token, "raw": raw})


@role_required()
@require_POST
def api_token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    token = ApiToken.objects.filter(pk=token_id, membership=request.membership, revoked_at__isnull=True).first()  # type: ignore[attr-defined]
    if token is None:
        raise Http404
    services.api_token_revoke(token=token, acting_user=request.user)  # type: ignore[arg-type]
    messages.success(request, _("The token no longer works."))
    return redirect("accounts:security")


def _members_page(request: HttpRequest, *, invite_form: InvitationForm | None = None, org_form: OrganisationForm | None = None, status: int = 200) -> HttpResponse:
    membership: Membership = request.membership  # type: ignore[attr-defined]
    org = membership.organisation
    invitations = Invitation.objects.for_member(membership).filter(accepted_at__isnull=True, revoked_at__isnull=True).order_by("-created_at")
    return render(request, "accounts/members.html", {
        "members": organisation_members(membership=membership), "invitations": invitations,
        "invite_form": invite_form or InvitationForm(), "roles": Role.choices,
        "org_form": org_form or OrganisationForm(initial={"name": org.name, "public_name": org.public_name, "department_code": org.department_code}),
    }, status=status)


@role_required(Role.ADMIN)
def members(request: HttpRequest) -> HttpResponse:
    return _members_page(request)


@role_required(Role.ADMIN)
@require_POST
def organisation_settings(request: HttpRequest) -> HttpResponse:
    form = OrganisationForm(request.POST)
    if not form.is_valid():
        return _members_page(request, org_form=form, status=400)
    fields = dict(form.cleaned_data)
    if "public_name" not in request.POST:
        fields["public_name"] = None  # a client that does not know the field leaves it as it is
    try:
        services.organisation_update(organisation=request.organisation, acting_user=request.user, **fields)  # type: ignore[attr-defined,arg-type]
    except ValidationError as exc:
        errors_into(form, exc)
        return _members_page(request, org_form=form, status=400)
    messages.success(request, _("Changes saved."))
    return redirect("accounts:members")


@role_required(Role.ADMIN)
@require_POST
def invite(request: HttpRequest) -> HttpResponse:
    form = InvitationForm(request.POST)
    membership: Membership = request.membership  # type: ignore[attr-defined]
    if not form.is_valid():
        return _members_page(request, invite_form=form, status=400)
    invitation, raw = services.invitation_create(
        organisation=membership.organisation, email=form.cleaned_data["email"], role=form.cleaned_data["role"], acting_user=request.user,  # type: ignore[arg-type]
    )
    link = absolute_url(reverse("accounts:invitation_accept", args=[raw]))
    return render(request, "accounts/invitation_created.html", {"invitation": invitation, "link": link})


@role_required(Role.ADMIN)
@require_POST
def invitation_revoke_view(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = Invitation.objects.get_for_member(request.membership, pk=invitation_id)  # type: ignore[attr-defined]
    services.invitation_revoke(invitation=invitation, acting_user=request.user)  # type: ignore[arg-type]
    return redirect("accounts:members")


def _member(request: HttpRequest, membership_id: int) -> Membership:
    member: Membership = Membership.objects.select_related("user", "organisation").get_for_member(request.membership, pk=membership_id)  # type: ignore[attr-defined]
    return member


@role_required(Role.ADMIN)
@require_POST
def member_role(request: HttpRequest, membership_id: int) -> HttpResponse:
    member = _member(request, membership_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        return action_refused(request, errors=[_("Choose a valid role.")], back=reverse("accounts:members"))
    try:
        services.membership_change_role(membership=member, role=form.cleaned_data["role"], acting_user=request.user)  # type: ignore[arg-type]
    except ValidationError as exc:
        return action_refused(request, errors=exc.messages, back=reverse("accounts:members"))
    messages.success(request, _("Role changed."))
    return redirect("accounts:members")


@role_required(Role.ADMIN)
@require_POST
def member_deactivate(request: HttpRequest, membership_id: int) -> HttpResponse:
    member = _member(request, membership_id)
    try:
        services.membership_deactivate(membership=member, acting_user=request.user)  # type: ignore[arg-type]
    except ValidationError as exc:
        return action_refused(request, errors=exc.messages, back=reverse("accounts:members"))
    messages.success(request, _("Access removed."))
    return redirect("accounts:members")


def _access_rows(counts: dict[str, int]) -> list[tuple[str, int]]:
    """What a cut-off or lockdown ends, in words, for the confirmation and result pages."""
    from amparo.accounts import cutoff

    labels = {
        "api_tokens": _("API tokens"),
        "two_factor_devices": _("two-factor devices (authenticator apps)"),
        "password": _("password"),
        "members_signed_out": _("members signed out"),
        **{access.name: str(access.label) for access in cutoff.registered()},
    }
    return [(labels.get(name, name), count) for name, count in counts.items()]


@role_required(Role.ADMIN)
@sudo_required(fallback="accounts:members")
@require_http_methods(["GET", "POST"])
def member_cut_off(request: HttpRequest, membership_id: int) -> HttpResponse:
    member = _member(request, membership_id)
    try:
        counts = services.member_cut_off(membership=member, acting_user=request.user, dry_run=request.method != "POST")  # type: ignore[arg-type]
    except ValidationError as exc:
        return action_refused(request, errors=exc.messages, back=reverse("accounts:members"))
    template = "accounts/cut_off_done.html" if request.method == "POST" else "accounts/cut_off_confirm.html"
    return render(request, template, {"member": member, "rows": _access_rows(counts)})


@role_required(Role.ADMIN)
@sudo_required(fallback="accounts:members")
@require_POST
def member_password(request: HttpRequest, membership_id: int) -> HttpResponse:
    member = _member(request, membership_id)
    try:
        raw = services.member_password_issue(membership=member, acting_user=request.user)  # type: ignore[arg-type]
    except ValidationError as exc:
        return action_refused(request, errors=exc.messages, back=reverse("accounts:members"))
    return render(request, "accounts/password_issued.html", {"member": member, "raw": raw})


@role_required(Role.ADMIN)
@sudo_required(fallback="accounts:members")
@require_http_methods(["GET", "POST"])
def organisation_lockdown(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation  # type: ignore[attr-defined]
    if request.method != "POST":
        counts = services.organisation_lockdown(organisation=organisation, acting_user=request.user, dry_run=True)  # type: ignore[arg-type]
        return render(request, "accounts/lockdown_confirm.html", {"rows": _access_rows(counts)})
    services.organisation_lockdown(organisation=organisation, acting_user=request.user)  # type: ignore[arg-type]
    # The administrator was signed out with everyone else.
    logout(request)
    messages.success(request, _("Everyone has been signed out. Sign in again with your password and two-factor code."))
    return redirect("accounts:login")


@sensitive_post_parameters("password", "password2")
@require_http_methods(["GET", "POST"])
def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_for_token(raw_token=token)
    if invitation is None:
        raise Http404
    form = AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(invitation=invitation, username=form.cleaned_data["username"], password=form.cleaned_data["password"])
        except ValidationError as exc:
            for field, errs in (exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]):
                form.add_error(field if field in form.fields else None, errs)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("accounts:two_factor_enrol")
    return render(request, "accounts/invitation_accept.html", {"form": form, "invitation": invitation}, status=400 if form.errors else 200)
