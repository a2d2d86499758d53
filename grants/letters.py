"""Decision letters (评审结果通知书) as PDF, in the applicant's language.

One letter per decided application: approval (also once the project runs: it is the letter the
organisation received), rejection, or "not recommended" for an application left in that state
after the 公示 was published. The letter states the decision, the grant (approved), the reasons
(the review summary's decision reason and the reason given with the transition), and the
application's own final score and rank: the 公示 publishes scores and ranks, so an applicant may
know theirs. It never names reviewers or shows individual reviewers' scores.

Rendered with WeasyPrint from ``grants/letters/decision_letter.html`` in the language of the user
who created the application (``preferred_language``; zh-hans by default), with the Noto CJK fonts
the Makefile installs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from grants.enums import ApplicationState
from grants.models import Application, ReviewSummary
from grants.selectors_decisions import decision_log, decision_reason
from grants.services.decisions import (
    DEFAULT_REJECTION_REASON,
    NOTICE_TIME_ZONE,
    is_default_rejection_reason,
)

S = ApplicationState

APPROVED = "approved"
REJECTED = "rejected"
NOT_RECOMMENDED = "not_recommended"
# The approval letter stays available while the project runs and after it.
APPROVAL_LETTER_STATES = (
    S.APPROVED,
    S.CONTRACTED,
    S.ACTIVE,
    S.MID_TERM,
    S.FINAL_EVALUATION,
    S.COMPLETED,
)


def letter_kind(application: Application, *, notice_published: bool | None = None) -> str | None:
    """Which letter the application has now, or None (no final decision yet).

    Lists pass ``notice_published`` (they know it for the whole call) to save a query per row.
    """
    if application.state in APPROVAL_LETTER_STATES:
        return APPROVED
    if application.state == S.REJECTED:
        return REJECTED
    if application.state == S.NOT_RECOMMENDED:
        if notice_published is None:
            notice_published = _notice(application) is not None
        return NOT_RECOMMENDED if notice_published else None
    return None


def _notice(application: Application):
    # A missing notice raises RelatedObjectDoesNotExist, an AttributeError: getattr's default.
    return getattr(application.call, "public_notice", None)


def letter_language(application: Application) -> str:
    language = getattr(application.created_by, "preferred_language", "") or settings.LANGUAGE_CODE
    codes = {code for code, _name in settings.LANGUAGES}
    return language if language in codes else settings.LANGUAGE_CODE


@dataclass(frozen=True)
class Letter:
    kind: str
    language: str
    application: Application
    decided_at: datetime
    reasons: list[str]
    amount: Decimal | None
    final_score: Decimal | None
    rank: int | None
    ranked_count: int

    @property
    def filename(self) -> str:
        return f"decision-{self.application.reference}.pdf"


def _reasons(application: Application, kind: str, log) -> list[str]:
    reasons = []
    written = decision_reason(application)
    if written:
        reasons.append(written)
    given = ((log.description if log else "") or "").strip()
    if given and given != written and not is_default_rejection_reason(given):
        reasons.append(given)
    if not reasons and kind != APPROVED:
        reasons.append(str(DEFAULT_REJECTION_REASON))
    return reasons


def build_letter(application: Application) -> Letter | None:
    """What the letter says (None when the application has no decision letter)."""
    kind = letter_kind(application)
    if kind is None:
        return None
    language = letter_language(application)
    summary = ReviewSummary.objects.filter(application=application).first()
    log = decision_log(application) if kind != NOT_RECOMMENDED else None
    if log is not None:
        decided_at = log.timestamp
    elif kind == NOT_RECOMMENDED:
        decided_at = _notice(application).published_at
    else:
        decided_at = timezone.now()
    ranked_count = (
        ReviewSummary.objects.filter(
            application__call_id=application.call_id, rank__isnull=False
        ).count()
        if summary and summary.rank
        else 0
    )
    with translation.override(language):
        reasons = _reasons(application, kind, log)
    return Letter(
        kind=kind,
        language=language,
        application=application,
        decided_at=decided_at,
        reasons=reasons,
        amount=application.requested_amount if kind == APPROVED else None,
        final_score=summary.final_score if summary else None,
        rank=summary.rank if summary else None,
        ranked_count=ranked_count,
    )


def render_letter_html(letter: Letter) -> str:
    with translation.override(letter.language):
        return render_to_string(
            "grants/letters/decision_letter.html",
            {
                "letter": letter,
                "application": letter.application,
                "call": letter.application.call,
                "programme": letter.application.call.programme,
                "organisation": letter.application.organisation,
                "decided_on": timezone.localtime(letter.decided_at, NOTICE_TIME_ZONE).date(),
                "LANGUAGE_CODE": letter.language,
                "title": _("Decision letter"),
            },
        )


def render_letter_pdf(letter: Letter) -> bytes:
    # Imported here: WeasyPrint loads Pango and fonts, which only the letter download needs.
    from weasyprint import CSS, HTML

    stylesheet = CSS(string=render_to_string("grants/letters/letter.css"))
    return HTML(string=render_letter_html(letter), base_url=str(settings.BASE_DIR)).write_pdf(
        stylesheets=[stylesheet]
    )
