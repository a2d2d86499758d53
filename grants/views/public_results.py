"""结果公告: the results of a call after its 公示, for residents (/gongshi/<slug>/results/).

The projects whose funding was approved, with the grant each receives and a link to its public
project page. Shown: project title, organisation name, theme, grant amount, overall rank and
state — the same public facts as the 公示, never contacts, reviewers, individual scores or
anything of applications that were not funded. Two queries whatever the number of projects.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from cms.public_urls import PUBLIC_PROJECT_STATES, project_url
from grants.enums import AgreementState, ApplicationState, Theme
from grants.models import Application, Call

S = ApplicationState
# Funding approved (after the 公示, or decided without one), and everything that follows.
APPROVED_STATES: tuple[str, ...] = (S.APPROVED, *PUBLIC_PROJECT_STATES)
# An agreement in these states fixes the grant; before that the approved amount is the request.
AWARD_AGREEMENT_STATES = (AgreementState.ISSUED, AgreementState.ACCEPTED)


def results_call(slug: str) -> Call | None:
    return Call.objects.select_related("programme", "public_notice").filter(slug=slug).first()


def approved_projects(*, call: Call) -> QuerySet[Application]:
    """The call's projects whose funding was approved, best rank first (one query)."""
    return (
        Application.objects.filter(call=call, state__in=APPROVED_STATES)
        .select_related("organisation", "review_summary", "agreement")
        .order_by("review_summary__rank", "pk")
    )


def _grant(application: Application) -> Decimal:
    agreement = getattr(application, "agreement", None)
    if agreement is not None and agreement.state in AWARD_AGREEMENT_STATES:
        return agreement.award_amount
    return application.requested_amount


def _rows(applications) -> list[dict]:
    rows = []
    for application in applications:
        summary = getattr(application, "review_summary", None)
        public_page = application.state in PUBLIC_PROJECT_STATES
        rows.append(
            {
                "project": application,
                "rank": summary.rank if summary else None,
                "theme": str(Theme(application.theme).label)
                if application.theme in Theme.values
                else "",
                "grant": _grant(application),
                "state": application.get_state_display(),
                "url": project_url(application.pk) if public_page else "",
            }
        )
    return rows


def call_results(request, slug: str):
    call = results_call(slug)
    if call is None:
        raise Http404
    notice = getattr(call, "public_notice", None)
    rows = _rows(approved_projects(call=call))
    now = timezone.now()
    return render(
        request,
        "grants/public_results.html",
        {
            "call": call,
            "notice": notice,
            "notice_open": notice is not None and notice.is_open(now),
            "rows": rows,
            "total": sum((row["grant"] for row in rows), Decimal("0")),
        },
    )
