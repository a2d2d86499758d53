"""Resident proposals (三事分流) and the 五社联动 view.

The proposal list and pages are public (tallies only, never who voted); submitting and voting need
a signed-in resident; classifying, running the vote and turning a proposal into a project need
community staff (officers for a micro-call). Views are thin: selector, permission, one service.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incubator import selectors as directory
from incubator import selectors_community as selectors
from incubator import services_community as services
from incubator.enums_community import VOTED_STATES, ProposalState
from incubator.forms_community import (
    ApplicationDraftForm,
    ClassifyForm,
    MicroCallForm,
    ProposalForm,
    VoteForm,
)
from incubator.models import ProposalVote

P = ProposalState
PER_PAGE = 50


def _proposal_or_404(pk: int):
    proposal = selectors.proposal(pk=pk)
    if proposal is None:
        raise Http404
    return proposal


def _staff_or_404(user, perm: str, proposal) -> None:
    """Staff actions: a signed-in person without the right gets 403 (the proposal is public)."""
    if not user.has_perm(perm, proposal):
        raise PermissionDenied


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


# --- Public ----------------------------------------------------------------------------------------


def proposal_list(request):
    community = None
    community_id = request.GET.get("community") or ""
    if community_id.isdigit():
        community = selectors.communities().filter(pk=int(community_id)).first()
    page = Paginator(selectors.public_proposals(community=community), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "incubator/community/proposal_list.html",
        {
            "page": page,
            "community": community,
            "query": f"community={community.pk}" if community else "",
            "communities": selectors.communities(),
            "voted_states": VOTED_STATES,
            "can_manage": request.user.has_perm("incubator.manage_proposals"),
        },
    )


def proposal_detail(request, pk: int):
    proposal = _proposal_or_404(pk)
    user = request.user
    my_vote = None
    if user.is_authenticated and proposal.state in VOTED_STATES:
        my_vote = (
            ProposalVote.objects.filter(proposal=proposal, voter=user)
            .select_related("household")
            .first()
        )
    context = {
        "proposal": proposal,
        "voted_states": VOTED_STATES,
        "turnout": selectors.turnout(proposal),
        "my_vote": my_vote,
        "vote_form": VoteForm() if proposal.state == P.VOTING and my_vote is None else None,
        "can_classify": proposal.state == P.SUBMITTED
        and user.has_perm("incubator.classify_proposal", proposal),
        "can_run_vote": proposal.state in (P.CLASSIFIED_MINOR, P.VOTING)
        and user.has_perm("incubator.run_proposal_vote", proposal),
        "can_convert_call": proposal.state == P.ADOPTED
        and user.has_perm("incubator.convert_proposal_to_call", proposal),
        "can_convert_application": proposal.state == P.ADOPTED
        and user.has_perm("incubator.convert_proposal_to_application", proposal),
    }
    if context["can_classify"]:
        context["classify_form"] = ClassifyForm()
    return render(request, "incubator/community/proposal_detail.html", context)


# --- Residents -------------------------------------------------------------------------------------


@login_required
def proposal_create(request):
    initial = {}
    if (request.GET.get("community") or "").isdigit():
        initial["community"] = int(request.GET["community"])
    form = ProposalForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            proposal = services.submit_proposal(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("Thank you. Your proposal is submitted; community staff will sort it."),
            )
            return redirect("community:proposal_detail", pk=proposal.pk)
    return render(request, "incubator/community/proposal_form.html", {"form": form})


@login_required
@require_POST
def proposal_vote(request, pk: int):
    proposal = _proposal_or_404(pk)
    form = VoteForm(request.POST)
    if form.is_valid():
        try:
            services.cast_vote(
                actor=request.user,
                proposal=proposal,
                household_address=form.cleaned_data["household"],
                in_favour=form.cleaned_data["in_favour"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        except services.ActionRefused as refused:
            messages.error(request, str(refused))
            return redirect("community:proposal_detail", pk=proposal.pk)
        else:
            messages.success(request, _("Your household's vote is counted."))
            return redirect("community:proposal_detail", pk=proposal.pk)
    return render(
        request,
        "incubator/community/proposal_detail.html",
        {
            "proposal": proposal,
            "voted_states": VOTED_STATES,
            "turnout": selectors.turnout(proposal),
            "vote_form": form,
        },
        status=400,
    )


# --- Community staff -------------------------------------------------------------------------------


@login_required
def proposal_manage(request):
    if not request.user.has_perm("incubator.manage_proposals"):
        raise PermissionDenied
    queues = [
        (_("To classify"), [P.SUBMITTED]),
        (_("小事 to put to a vote"), [P.CLASSIFIED_MINOR]),
        (_("Voting"), [P.VOTING]),
        (_("Adopted: to turn into a project"), [P.ADOPTED]),
    ]
    states = [state for _label, group in queues for state in group]
    proposals = list(selectors.proposals_for_staff(user=request.user, states=states)[:400])
    sections = [(label, [p for p in proposals if p.state in group]) for label, group in queues]
    return render(request, "incubator/community/proposal_manage.html", {"sections": sections})


@login_required
@require_POST
def proposal_classify(request, pk: int):
    proposal = _proposal_or_404(pk)
    _staff_or_404(request.user, "incubator.classify_proposal", proposal)
    form = ClassifyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose 大事, 小事 or 私事."))
        return redirect("community:proposal_detail", pk=pk)
    try:
        proposal = services.classify_proposal(
            actor=request.user,
            proposal=proposal,
            matter=form.cleaned_data["matter"],
            note=form.cleaned_data["note"],
        )
    except services.ActionRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request, _("Classified: %(state)s.") % {"state": proposal.get_state_display()}
        )
    return redirect("community:proposal_detail", pk=pk)


@login_required
@require_POST
def proposal_open_voting(request, pk: int):
    proposal = _proposal_or_404(pk)
    _staff_or_404(request.user, "incubator.run_proposal_vote", proposal)
    try:
        services.open_voting(actor=request.user, proposal=proposal)
    except services.ActionRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("Voting is open: one household, one vote."))
    return redirect("community:proposal_detail", pk=pk)


@login_required
@require_POST
def proposal_close_voting(request, pk: int):
    proposal = _proposal_or_404(pk)
    _staff_or_404(request.user, "incubator.run_proposal_vote", proposal)
    try:
        proposal = services.close_voting(actor=request.user, proposal=proposal)
    except services.ActionRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request,
            _("Voting is closed: %(state)s.") % {"state": proposal.get_state_display()},
        )
    return redirect("community:proposal_detail", pk=pk)


@login_required
def proposal_micro_call(request, pk: int):
    proposal = _proposal_or_404(pk)
    _staff_or_404(request.user, "incubator.convert_proposal_to_call", proposal)
    form = MicroCallForm(request.POST or None, initial={"title": proposal.title})
    if request.method == "POST" and form.is_valid():
        try:
            call = services.convert_to_micro_call(
                actor=request.user, proposal=proposal, **form.cleaned_data
            )
        except ValidationError as error:
            _add_errors(form, error)
        except services.ActionRefused as refused:
            messages.error(request, str(refused))
            return redirect("community:proposal_detail", pk=pk)
        else:
            messages.success(
                request,
                _(
                    "The micro-call “%(title)s” is created. It opens %(opens)s; publish its page in the admin."
                )
                % {
                    "title": call.title,
                    "opens": timezone.localtime(call.opens_at).strftime("%Y-%m-%d %H:%M"),
                },
            )
            return redirect("community:proposal_detail", pk=pk)
    return render(
        request,
        "incubator/community/proposal_convert.html",
        {"proposal": proposal, "form": form, "kind": "call"},
    )


@login_required
def proposal_application_draft(request, pk: int):
    proposal = _proposal_or_404(pk)
    _staff_or_404(request.user, "incubator.convert_proposal_to_application", proposal)
    form = ApplicationDraftForm(request.POST or None, now=timezone.now())
    if request.method == "POST" and form.is_valid():
        try:
            application = services.convert_to_application_draft(
                actor=request.user, proposal=proposal, **form.cleaned_data
            )
        except services.ActionRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(
                request,
                _(
                    "A draft for %(organisation)s is started (%(reference)s); its members complete it."
                )
                % {
                    "organisation": application.organisation.name,
                    "reference": application.reference,
                },
            )
            return redirect("community:proposal_detail", pk=pk)
    return render(
        request,
        "incubator/community/proposal_convert.html",
        {"proposal": proposal, "form": form, "kind": "application"},
    )


# --- 五社联动 --------------------------------------------------------------------------------------


def wushe(request):
    districts = list(directory.districts())
    selected = None
    district_id = request.GET.get("district") or ""
    if district_id.isdigit():
        selected = next((d for d in districts if d.pk == int(district_id)), None)
    rows = selectors.wushe_by_district(district_id=selected.pk if selected else None)
    return render(
        request,
        "incubator/community/wushe.html",
        {
            "districts": districts,
            "selected": selected,
            "rows": rows,
            "totals": selectors.wushe_totals(rows),
        },
    )
