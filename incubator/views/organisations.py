from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from incubator import selectors, services
from incubator.forms import OrganisationForm
from incubator.models import Organisation


def _get_organisation_for(user, pk: int) -> Organisation:
    """Fetch and check in one step. Not allowed looks exactly like not there (404), so an
    outsider cannot even learn which ids exist."""
    organisation = selectors.all_organisations().filter(pk=pk).first()
    if organisation is None or not user.has_perm("incubator.view_organisation", organisation):
        raise Http404
    return organisation


@login_required
def organisation_list(request):
    page = Paginator(selectors.visible_organisations(user=request.user), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "incubator/organisation_list.html",
        {"page": page, "sees_all": request.user.has_perm("incubator.list_all_organisations")},
    )


@login_required
def organisation_create(request):
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.register_organisation(
                actor=request.user, data=form.profile_data()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("%(name)s is registered. You are its member.") % {"name": organisation.name},
            )
            return redirect("incubator:organisation_detail", pk=organisation.pk)
    return render(request, "incubator/organisation_form.html", {"form": form, "organisation": None})


@login_required
def organisation_detail(request, pk: int):
    organisation = _get_organisation_for(request.user, pk)
    can_edit = request.user.has_perm("incubator.change_organisation", organisation)
    if not can_edit:
        return render(request, "incubator/organisation_detail.html", {"organisation": organisation})
    form = OrganisationForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_organisation(
                actor=request.user, organisation=organisation, data=form.profile_data()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The organisation profile has been saved."))
            return redirect("incubator:organisation_detail", pk=organisation.pk)
    return render(
        request, "incubator/organisation_form.html", {"form": form, "organisation": organisation}
    )
