"""Charitable resources for officers, and the 五社联动 partners of an application."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incubator import selectors_community as selectors
from incubator import services_community as services
from incubator.forms_community import PartnersForm
from incubator.models import MatchingPledge

PER_PAGE = 50


@login_required
def resources(request):
    """Pledges (with their state actions), in-kind donations and donors, for officers."""
    if not request.user.has_perm("incubator.view_resources"):
        raise PermissionDenied
    tab = request.GET.get("tab") or "pledges"
    if tab not in ("pledges", "donations", "donors"):
        tab = "pledges"
    queryset = {
        "pledges": selectors.pledges,
        "donations": selectors.donations,
        "donors": selectors.donors,
    }[tab]()
    page = Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "incubator/community/resources.html",
        {"tab": tab, "page": page, "pledge_actions": services.PLEDGE_ACTIONS},
    )


@login_required
@require_POST
def pledge_action(request, pk: int, action: str):
    if not request.user.has_perm("incubator.manage_pledge"):
        raise PermissionDenied
    pledge = get_object_or_404(MatchingPledge, pk=pk)
    if action not in services.PLEDGE_ACTIONS:
        raise Http404
    try:
        pledge = services.change_pledge_state(
            actor=request.user, pledge=pledge, action=action, note=request.POST.get("note", "")
        )
    except services.ActionRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request,
            _("The pledge of %(donor)s is now “%(state)s”.")
            % {"donor": pledge.donor.name, "state": pledge.get_state_display()},
        )
    return redirect("community:resources")


@login_required
def application_partners(request, pk: int):
    """五社联动: the application's partner communities, social workers, teams and resources."""
    application = selectors.application_for_partners(pk=pk, user=request.user)
    if application is None:
        raise Http404
    can_edit = request.user.has_perm("grants.edit_application", application)
    choices = selectors.partner_choices(application=application)
    form = PartnersForm(request.POST or None, choices=choices)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.set_application_partners(
                    actor=request.user,
                    application=application,
                    social_worker_ids=form.cleaned_data["social_workers"],
                    volunteer_team_ids=form.cleaned_data.get("volunteer_teams") or (),
                    donation_ids=form.cleaned_data["donations"],
                )
            except ValidationError as error:
                for name, errors in error.error_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                messages.success(request, _("The project's partners are saved."))
                return redirect("community:application_partners", pk=application.pk)
    return render(
        request,
        "incubator/community/application_partners.html",
        {
            "application": application,
            "choices": choices,
            "form": form,
            "can_edit": can_edit,
            "partner_communities": application.partner_communities.select_related("parent__parent"),
        },
    )
