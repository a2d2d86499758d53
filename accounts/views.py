from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from wagtail.models import APIToken

from accounts import selectors, services
from accounts.enums import Role
from accounts.forms import ApiTokenForm, PreferencesForm
from accounts.rules import has_staff_role


@login_required
def dashboard(request):
    memberships = list(selectors.active_memberships(user=request.user))
    roles = sorted({m.role for m in memberships}, key=list(Role.values).index)
    organisations = list(
        {m.organisation_id: m.organisation for m in memberships if m.organisation}.values()
    )
    return render(
        request,
        "accounts/dashboard.html",
        {
            "roles": [Role(code).label for code in roles],
            "organisations": organisations,
            "show_admin_link": has_staff_role(request.user) or request.user.is_superuser,
            "is_applicant": Role.APPLICANT in roles,
            "is_officer": Role.OFFICER in roles,
            "is_reviewer": Role.REVIEWER in roles,
            "is_evaluator": Role.EVALUATOR in roles,
            "is_finance": Role.FINANCE in roles,
            "is_community_staff": Role.COMMUNITY in roles,
        },
    )


@login_required
def preferences(request):
    form = PreferencesForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = services.update_preferences(
            actor=request.user,
            preferred_language=form.cleaned_data["preferred_language"],
            email_frequency=form.cleaned_data["email_frequency"],
        )
        # Switch the interface now, so the confirmation already speaks the chosen language.
        translation.activate(user.preferred_language)
        messages.success(request, _("Your preferences have been saved."))
        response = redirect("accounts:preferences")
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            user.preferred_language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
        return response
    return render(request, "accounts/preferences.html", {"form": form})


@never_cache  # the page may carry a freshly issued token key
@login_required
def api_tokens(request):
    form = ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        token, new_key = services.create_api_token(
            actor=request.user, name=form.cleaned_data["name"]
        )
        # Rendered, not redirected: the plaintext key exists only in this response.
        form = ApiTokenForm()
    return render(
        request,
        "accounts/api_tokens.html",
        {"form": form, "tokens": selectors.api_tokens(user=request.user), "new_key": new_key},
    )


@require_POST
@login_required
def revoke_api_token(request, token_id: int):
    try:
        token = services.revoke_api_token(actor=request.user, token_id=token_id)
    except APIToken.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("The token “%(name)s” has been revoked.") % {"name": token.name})
    return redirect("accounts:api_tokens")
