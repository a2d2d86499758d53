"""The officer's review pages (/workspace/…): the expert pool, a call's panels, the conflict
register and conduct ratings. Officers only: anyone else gets 403."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from grants import selectors_review as sel
from grants.enums import LIVE_ASSIGNMENT_STATES, ApplicationState
from grants.forms_review import (
    AddReviewerForm,
    ConductForm,
    DrawForm,
    OfficerProfileForm,
    ReasonForm,
    RecordConflictForm,
    RelationForm,
)
from grants.models import Application, Call, ReviewAssignment, ReviewerProfile, ReviewerRelation
from grants.services import review as pool_svc
from grants.services import review_conflicts as conflict_svc
from grants.services import review_draw as draw_svc
from grants.services.errors import TransitionRefused
from grants.views.review import _attach, _message, handle_profile_post, profile_context


def _require(user, perm: str = "grants.assign_reviewers") -> None:
    if not user.has_perm(perm):
        raise PermissionDenied(_("The workspace is for programme officers."))


def _call(request, pk: int, perm: str = "grants.assign_reviewers") -> Call:
    _require(request.user, perm)
    return get_object_or_404(Call.objects.select_related("programme"), pk=pk)


# --- The expert pool ---------------------------------------------------------------------------


@login_required
def pool(request):
    _require(request.user, "grants.manage_reviewer_pool")
    return render(request, "grants/review/pool.html", {"reviewers": sel.pool_overview()})


@never_cache
@login_required
def pool_member(request, user_pk: int):
    _require(request.user, "grants.manage_reviewer_pool")
    user = get_object_or_404(sel.reviewer_users(), pk=user_pk)
    if request.method == "POST":
        profile_form, relation_form = handle_profile_post(
            request, user, profile_form_class=OfficerProfileForm, officer=True
        )
        if profile_form is None:
            return redirect("grants:review_pool_member", user_pk=user.pk)
        status = 400
    else:
        existing = ReviewerProfile.objects.filter(user=user).first()
        profile_form = OfficerProfileForm(
            initial=OfficerProfileForm.initial_for(existing) or {"is_active": True}
        )
        relation_form = RelationForm()
        status = 200
    context = profile_context(user, profile_form=profile_form, relation_form=relation_form)
    context["officer_view"] = True
    return render(request, "grants/review/profile.html", context, status=status)


@require_POST
@login_required
def pool_relation_delete(request, user_pk: int, pk: int):
    _require(request.user, "grants.manage_reviewer_pool")
    relation = ReviewerRelation.objects.filter(pk=pk, profile__user_id=user_pk).first()
    if relation is None:
        raise Http404
    try:
        pool_svc.remove_relation(relation=relation, actor=request.user)
    except ValidationError as error:
        messages.error(request, _message(error))
    else:
        messages.success(request, _("The relation has been removed."))
    return redirect("grants:review_pool_member", user_pk=user_pk)


# --- Panels ------------------------------------------------------------------------------------


@never_cache
@login_required
def panels(request, pk: int):
    call = _call(request, pk)
    applications = sel.call_panels(call=call)
    pool = list(draw_svc.reviewer_pool())
    for application in applications:
        on_panel = {assignment.reviewer_id for assignment in application.panel}
        application.addable = [
            profile.user
            for profile in pool
            if profile.user_id not in on_panel and profile.user_id not in application.conflict_ids
        ]
    in_review = [a for a in applications if a.state == ApplicationState.IN_REVIEW]
    return render(
        request,
        "grants/review/panels.html",
        {
            "call": call,
            "applications": applications,
            "in_review_count": len(in_review),
            "short_count": sum(1 for a in in_review if a.short_by),
            "pool_size": len(pool),
            "draw_form": DrawForm(initial={"per_application": call.reviewers_per_application}),
            "live_states": LIVE_ASSIGNMENT_STATES,
        },
    )


@require_POST
@login_required
def draw(request, pk: int):
    call = _call(request, pk)
    form = DrawForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("grants:review_panels", pk=call.pk)
    try:
        result = draw_svc.draw_reviewers(
            call=call,
            actor=request.user,
            per_application=form.cleaned_data["per_application"],
            seed=form.cleaned_data["seed"],
        )
    except (TransitionRefused, ValidationError) as error:
        messages.error(request, _message(error))
        return redirect("grants:review_panels", pk=call.pk)
    messages.success(
        request,
        ngettext(
            "%(count)d reviewer drawn (seed %(seed)s: enter it again to repeat this draw).",
            "%(count)d reviewers drawn (seed %(seed)s: enter it again to repeat this draw).",
            len(result.created),
        )
        % {"count": len(result.created), "seed": result.seed},
    )
    for shortfall in result.shortfalls:
        messages.warning(
            request,
            _(
                "%(application)s: only %(live)d of %(wanted)d reviewers — the pool has no more "
                "reviewers without a conflict."
            )
            % {
                "application": shortfall.application.reference,
                "live": shortfall.live,
                "wanted": shortfall.wanted,
            },
        )
    return redirect("grants:review_panels", pk=call.pk)


@require_POST
@login_required
def add(request, pk: int):
    _require(request.user)
    application = get_object_or_404(Application.objects.select_related("call"), pk=pk)
    form = AddReviewerForm(request.POST, reviewers=sel.reviewer_users())
    back = redirect("grants:review_panels", pk=application.call_id)
    if not form.is_valid():
        messages.error(request, _("Choose a reviewer from the list."))
        return back
    reviewer = sel.reviewer_users().get(pk=form.cleaned_data["reviewer"])
    try:
        draw_svc.add_reviewer(application=application, reviewer=reviewer, actor=request.user)
    except (TransitionRefused, ValidationError) as error:
        messages.error(request, _message(error))
    else:
        messages.success(
            request,
            _("%(reviewer)s added to the panel of %(application)s.")
            % {"reviewer": reviewer, "application": application.reference},
        )
    return back


@require_POST
@login_required
def remove(request, pk: int):
    _require(request.user)
    assignment = get_object_or_404(
        ReviewAssignment.objects.select_related("application", "reviewer"), pk=pk
    )
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        draw_svc.remove_reviewer(
            assignment=assignment,
            actor=request.user,
            reason=form.cleaned_data.get("reason", ""),
        )
    except (TransitionRefused, ValidationError) as error:
        messages.error(request, _message(error))
    else:
        messages.success(
            request,
            _("%(reviewer)s removed from the panel of %(application)s.")
            % {"reviewer": assignment.reviewer, "application": assignment.application.reference},
        )
    return redirect("grants:review_panels", pk=assignment.application.call_id)


# --- The conflict register ---------------------------------------------------------------------


@never_cache
@login_required
def conflicts(request, pk: int):
    call = _call(request, pk, "grants.view_conflict_register")
    applications = list(
        Application.objects.filter(call=call).exclude(state=ApplicationState.DRAFT).order_by("pk")
    )
    reviewers = list(sel.reviewer_users())
    form = RecordConflictForm(applications=applications, reviewers=reviewers)
    status = 200
    if request.method == "POST":
        _require(request.user, "grants.record_conflict")
        form = RecordConflictForm(request.POST, applications=applications, reviewers=reviewers)
        if form.is_valid():
            application = next(a for a in applications if a.pk == form.cleaned_data["application"])
            reviewer = next(r for r in reviewers if r.pk == form.cleaned_data["reviewer"])
            try:
                conflict_svc.record_conflict(
                    application=application,
                    reviewer=reviewer,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                _attach(form, error)
            else:
                messages.success(request, _("The conflict has been recorded."))
                return redirect("grants:review_conflicts", pk=call.pk)
        status = 400
    return render(
        request,
        "grants/review/conflicts.html",
        {"call": call, "records": list(sel.conflict_register(call=call)), "form": form},
        status=status,
    )


@require_POST
@login_required
def detect(request, pk: int):
    call = _call(request, pk, "grants.view_conflict_register")
    result = conflict_svc.detect_conflicts(call=call, actor=request.user)
    messages.success(
        request,
        _(
            "Conflict check done: %(found)d conflicts found, %(new)d new in the register, "
            "%(withdrawn)d reviewers taken off panels, %(replaced)d replacements drawn."
        )
        % {
            "found": result.found,
            "new": len(result.created),
            "withdrawn": len(result.withdrawn),
            "replaced": len(result.replacements),
        },
    )
    return redirect("grants:review_conflicts", pk=call.pk)


# --- Conduct -----------------------------------------------------------------------------------


@never_cache
@login_required
def conduct(request, pk: int):
    call = _call(request, pk, "grants.rate_reviewer_conduct")
    rows = sel.conduct_rows(call=call)
    status = 200
    posted = request.POST.get("profile") if request.method == "POST" else None
    for row in rows:
        rating = row.call_ratings[0] if row.call_ratings else None
        initial = {"stars": rating.stars, "note": rating.note} if rating else {}
        if posted == str(row.pk):
            form = ConductForm(request.POST, prefix=f"p{row.pk}")
            if form.is_valid():
                try:
                    pool_svc.rate_conduct(
                        call=call,
                        profile=row,
                        actor=request.user,
                        stars=form.cleaned_data["stars"],
                        note=form.cleaned_data["note"],
                    )
                except ValidationError as error:
                    _attach(form, error)
                else:
                    messages.success(
                        request, _("Rating of %(reviewer)s saved.") % {"reviewer": row.user}
                    )
                    return redirect("grants:review_conduct", pk=call.pk)
            status = 400
        else:
            form = ConductForm(initial=initial, prefix=f"p{row.pk}")
        row.form = form
        row.rating = rating
    if posted and posted not in {str(row.pk) for row in rows}:
        raise Http404
    return render(
        request, "grants/review/conduct.html", {"call": call, "rows": rows}, status=status
    )
