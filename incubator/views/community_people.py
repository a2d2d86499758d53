"""Social workers (社工) of an organisation, and the 持证率 report for officers."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from incubator import selectors as directory
from incubator import selectors_community as selectors
from incubator import services_community as services
from incubator.forms_community import SocialWorkerForm
from incubator.models import Organisation

PER_PAGE = 50


def _organisation_for(user, pk: int, perm: str) -> Organisation:
    """Fetch and check in one step; an organisation the user may not see is a 404."""
    organisation = directory.all_organisations().filter(pk=pk).first()
    if organisation is None or not user.has_perm("incubator.view_social_workers", organisation):
        raise Http404
    if not user.has_perm(perm, organisation):
        raise PermissionDenied
    return organisation


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


@login_required
def organisation_social_workers(request, pk: int):
    organisation = _organisation_for(request.user, pk, "incubator.view_social_workers")
    page = Paginator(selectors.social_workers_of(organisation=organisation), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "incubator/community/social_workers.html",
        {
            "organisation": organisation,
            "page": page,
            "rate": selectors.certification_of(organisation=organisation),
            "can_manage": request.user.has_perm("incubator.manage_social_workers", organisation),
        },
    )


@login_required
def social_worker_create(request, pk: int):
    organisation = _organisation_for(request.user, pk, "incubator.manage_social_workers")
    form = SocialWorkerForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            worker = services.create_social_worker(
                actor=request.user, organisation=organisation, data=form.data_for_service()
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("%(name)s is added.") % {"name": worker.name})
            return redirect("community:organisation_social_workers", pk=organisation.pk)
    return render(
        request,
        "incubator/community/social_worker_form.html",
        {"form": form, "organisation": organisation, "worker": None},
    )


@login_required
def social_worker_edit(request, pk: int):
    worker = selectors.social_worker_for(pk=pk, user=request.user)
    if worker is None:
        raise Http404
    form = SocialWorkerForm(request.POST or None, instance=worker, organisation=worker.organisation)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_social_worker(
                actor=request.user, social_worker=worker, data=form.data_for_service()
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The social worker's profile is saved."))
            return redirect("community:organisation_social_workers", pk=worker.organisation_id)
    return render(
        request,
        "incubator/community/social_worker_form.html",
        {"form": form, "organisation": worker.organisation, "worker": worker},
    )


@login_required
def certification_report(request):
    if not request.user.has_perm("incubator.view_certification_report"):
        raise PermissionDenied
    districts = selectors.certification_by_district()
    district_id = request.GET.get("district") or ""
    district_id = int(district_id) if district_id.isdigit() else None
    page = Paginator(
        selectors.certification_by_organisation(district_id=district_id), PER_PAGE
    ).get_page(request.GET.get("page"))
    total = sum(row["total"] for row in districts)
    certified = sum(row["certified"] for row in districts)
    return render(
        request,
        "incubator/community/certification_report.html",
        {
            "districts": districts,
            "district_id": district_id,
            "query": f"district={district_id}" if district_id else "",
            "page": page,
            "organisations": selectors.with_rates(page.object_list),
            "overall": {
                "total": total,
                "certified": certified,
                "rate": selectors.certification_rate(certified, total),
            },
        },
    )
