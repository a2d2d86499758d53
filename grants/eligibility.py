"""资格审查: the call's eligibility rules, one small function per rule, evaluated on submission.

Each rule returns a ``RuleResult`` whose reason is generated with the numbers that decided it
("The grant requested, ¥35,000, is over this call's maximum of ¥30,000."). Hard failures stop the
submission (``grants.services.errors.SubmissionRefused``); soft ones are flags for the officer's
screening. The results are stored on the application (``Application.eligibility``) at submission.

The budget rules come from ``grants.budget.summarise`` — the same checks the application form
shows live — so the applicant never meets a rule at submission they could not see while typing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm_log.models import StateLog

from grants.budget import summarise
from grants.enums import ApplicationState, RuleSeverity
from grants.models import Application, BlacklistEntry
from grants.models.blacklist import add_years
from incubator.credit_code import validate_credit_code
from incubator.enums import OrganisationType
from incubator.selectors_incubation import graduation_of

S = ApplicationState
HARD, SOFT = RuleSeverity.HARD, RuleSeverity.SOFT
# Other applications to the same call that count as "already applied".
NOT_COUNTING_STATES = (S.DRAFT, S.WITHDRAWN, S.INELIGIBLE)


@dataclass(frozen=True)
class RuleResult:
    code: str
    passed: bool
    severity: str
    reason: str

    @property
    def blocks(self) -> bool:
        """A hard rule that failed: submission is refused."""
        return not self.passed and self.severity == HARD

    @property
    def flagged(self) -> bool:
        """A soft rule that failed: the officer looks at it while screening."""
        return not self.passed and self.severity == SOFT

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "passed": self.passed,
            "severity": str(self.severity),
            "reason": str(self.reason),
        }

    @classmethod
    def from_dict(cls, data: dict) -> RuleResult:
        return cls(data["code"], bool(data["passed"]), data["severity"], data.get("reason", ""))


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _day(day: date) -> str:
    return day.strftime("%Y-%m-%d")


# --- The call's window ---------------------------------------------------------------------------


def rule_deadline(application: Application, *, now: datetime) -> RuleResult:
    """The server clock decides; a returned application may have a later revision deadline."""
    deadline = application.resubmission_deadline
    if now <= deadline:
        return RuleResult(
            "deadline",
            True,
            HARD,
            _("Submitted before the deadline of %(deadline)s.") % {"deadline": _when(deadline)},
        )
    return RuleResult(
        "deadline",
        False,
        HARD,
        _(
            "The deadline was %(deadline)s (Beijing time); it is now %(now)s. Late submissions are not accepted."
        )
        % {"deadline": _when(deadline), "now": _when(now)},
    )


def rule_call_open(application: Application, *, now: datetime) -> RuleResult:
    call = application.call
    if now >= call.opens_at:
        return RuleResult("call_open", True, HARD, _("The call is open."))
    return RuleResult(
        "call_open",
        False,
        HARD,
        _("The call opens on %(opens)s; it does not take applications yet.")
        % {"opens": _when(call.opens_at)},
    )


# --- The organisation -----------------------------------------------------------------------------


def rule_one_per_organisation(application: Application, *, now: datetime) -> RuleResult | None:
    if not application.call.one_application_per_organisation:
        return None
    other = (
        Application.objects.filter(
            call_id=application.call_id, organisation_id=application.organisation_id
        )
        .exclude(pk=application.pk)
        .exclude(state__in=NOT_COUNTING_STATES)
        .first()
    )
    if other is None:
        return RuleResult(
            "one_per_organisation",
            True,
            HARD,
            _("This is the organisation's only application to this call."),
        )
    return RuleResult(
        "one_per_organisation",
        False,
        HARD,
        _(
            "The organisation has already applied to this call (%(reference)s); only one application is allowed."
        )
        % {"reference": other.reference},
    )


def rule_organisation_type(application: Application, *, now: datetime) -> RuleResult:
    organisation = application.organisation
    if (
        organisation.org_type == OrganisationType.COMMUNITY_ORG
        and not application.call.allow_filed_community_orgs
    ):
        return RuleResult(
            "organisation_type",
            False,
            HARD,
            _(
                "This call is open to registered organisations only; filed community organisations cannot apply."
            ),
        )
    return RuleResult(
        "organisation_type",
        True,
        HARD,
        _("Organisation type: %(type)s.") % {"type": organisation.get_org_type_display()},
    )


def rule_credit_code(application: Application, *, now: datetime) -> RuleResult:
    organisation = application.organisation
    code = organisation.credit_code or ""
    if not code:
        if organisation.org_type == OrganisationType.COMMUNITY_ORG:
            return RuleResult(
                "credit_code", True, HARD, _("A filed community organisation needs no credit code.")
            )
        return RuleResult(
            "credit_code",
            False,
            HARD,
            _("The organisation's unified social credit code is missing; add it to the profile."),
        )
    try:
        validate_credit_code(code)
    except ValidationError as error:
        return RuleResult(
            "credit_code",
            False,
            HARD,
            _("The unified social credit code %(code)s is not valid: %(error)s")
            % {"code": code, "error": " ".join(error.messages)},
        )
    return RuleResult(
        "credit_code",
        True,
        HARD,
        _("Unified social credit code %(code)s is valid.") % {"code": code},
    )


def rule_blacklists(application: Application, *, now: datetime) -> RuleResult:
    today = timezone.localdate(now)
    barring = [
        entry
        for entry in BlacklistEntry.objects.filter(
            organisation_id=application.organisation_id, listed_on__lte=today
        )
        if entry.bars_on(today)
    ]
    if not barring:
        return RuleResult("blacklists", True, HARD, _("The organisation is on no blocked list."))
    reasons = [
        _("listed on the %(list)s on %(listed)s, barred until %(until)s")
        % {
            "list": entry.get_kind_display(),
            "listed": _day(entry.listed_on),
            "until": _day(entry.bars_until),
        }
        for entry in barring
    ]
    return RuleResult(
        "blacklists",
        False,
        HARD,
        _("The organisation is barred: %(reasons)s.") % {"reasons": "; ".join(reasons)},
    )


def rule_failure_bar(application: Application, *, now: datetime) -> RuleResult | None:
    """Organisations whose funded project was terminated are barred for ``failure_bar_years``.

    A failed mid-term or final evaluation terminates the project (``fail_evaluation``), as an
    officer's termination does; both set ``closed_at``, the date the bar counts from. Projects
    closed before ``closed_at`` existed fall back to the time of their transition to terminated.
    """
    years = application.call.failure_bar_years
    if not years:
        return None
    terminated = list(
        Application.objects.filter(organisation_id=application.organisation_id, state=S.TERMINATED)
        .exclude(pk=application.pk)
        .values_list("pk", "title", "closed_at")
    )
    undated = [pk for pk, _title, closed_at in terminated if closed_at is None]
    logged = {}
    if undated:
        for log in StateLog.objects.filter(
            content_type=ContentType.objects.get_for_model(Application),
            object_id__in=undated,
            state=S.TERMINATED,
        ).order_by("timestamp"):
            logged[int(log.object_id)] = log.timestamp
    today = timezone.localdate(now)
    barring = []
    for pk, title, closed_at in terminated:
        moment = closed_at or logged.get(pk)
        terminated_on = timezone.localdate(moment) if moment else None
        if terminated_on is None or add_years(terminated_on, years) > today:
            barring.append((terminated_on or today, title))
    if barring:
        terminated_on, title = max(barring)
        return RuleResult(
            "failure_bar",
            False,
            HARD,
            _(
                "The organisation's project “%(title)s” was terminated in %(year)d (on %(date)s); this call bars organisations for %(years)d years after a failed project, until %(until)s."
            )
            % {
                "title": title,
                "year": terminated_on.year,
                "date": _day(terminated_on),
                "years": years,
                "until": _day(add_years(terminated_on, years)),
            },
        )
    return RuleResult(
        "failure_bar",
        True,
        HARD,
        _("No project of the organisation failed in the last %(years)d years.") % {"years": years},
    )


def rule_incubation_graduate(application: Application, *, now: datetime) -> RuleResult | None:
    """Calls for incubated organisations: the applicant graduated (出壳) from an incubation base."""
    if not application.call.requires_incubation_graduate:
        return None
    graduation = graduation_of(organisation_id=application.organisation_id)
    if graduation is None:
        return RuleResult(
            "incubation_graduate",
            False,
            HARD,
            _(
                "This call is open to organisations that graduated from an incubation base; this organisation has not."
            ),
        )
    return RuleResult(
        "incubation_graduate",
        True,
        HARD,
        _("Graduated from %(base)s on %(date)s.")
        % {"base": graduation.intake.base.name, "date": _day(graduation.graduated_on)},
    )


# --- The budget (the same checks the form shows live) --------------------------------------------

BUDGET_RULE_CODES = ("max_grant", "min_grant", "matching", "personnel_cap", "management_cap")


def budget_rules(application: Application, *, now: datetime, lines=None) -> list[RuleResult]:
    lines = list(application.budget_lines.all()) if lines is None else lines
    summary = summarise(lines, application.call)
    return [
        RuleResult(check.code, check.passed, check.severity, check.message)
        for check in summary.checks
    ]


# --- The form ----------------------------------------------------------------------------------------


def missing_sections(application: Application, *, has_budget_lines: bool) -> list[str]:
    missing = []
    for name in ("title", "summary", "need", "objectives"):
        if not (getattr(application, name) or "").strip():
            missing.append(str(Application._meta.get_field(name).verbose_name))
    if not application.activities:
        missing.append(_("at least one activity"))
    if not application.indicators:
        missing.append(_("at least one indicator"))
    if not has_budget_lines:
        missing.append(_("at least one budget line"))
    questions = application.form.questions if application.form_id else []
    answers = application.extra_answers or {}
    for question in questions or []:
        if question.get("required") and answers.get(question.get("key")) in (None, "", []):
            missing.append(str(question.get("label") or question.get("key")))
    return missing


def rule_required_sections(application: Application, *, now: datetime, lines=None) -> RuleResult:
    lines = list(application.budget_lines.all()) if lines is None else lines
    missing = missing_sections(application, has_budget_lines=bool(lines))
    if not missing:
        return RuleResult(
            "required_sections", True, HARD, _("Every required section is filled in.")
        )
    return RuleResult(
        "required_sections",
        False,
        HARD,
        _("Still to fill in: %(sections)s.") % {"sections": "、".join(missing)},
    )


# --- Soft flags for screening ------------------------------------------------------------------------


def rule_rating_current(application: Application, *, now: datetime) -> RuleResult | None:
    organisation = application.organisation
    if not organisation.rating:
        return None
    expires = organisation.rating_expires_on
    if expires is not None and expires < timezone.localdate(now):
        return RuleResult(
            "rating_current",
            False,
            SOFT,
            _("The %(rating)s rating expired on %(date)s.")
            % {"rating": organisation.rating, "date": _day(expires)},
        )
    return RuleResult(
        "rating_current",
        True,
        SOFT,
        _("Rating %(rating)s is current.") % {"rating": organisation.rating},
    )


def rule_partner_community(application: Application, *, now: datetime) -> RuleResult:
    count = application.partner_communities.count()
    if count:
        return RuleResult(
            "partner_community",
            True,
            SOFT,
            _("%(count)d partner communities named.") % {"count": count},
        )
    return RuleResult("partner_community", False, SOFT, _("No partner community is named."))


def rule_registered_a_year(application: Application, *, now: datetime) -> RuleResult | None:
    registered = application.organisation.registration_date
    if registered is None:
        return None
    today = timezone.localdate(now)
    if add_years(registered, 1) > today:
        return RuleResult(
            "registered_a_year",
            False,
            SOFT,
            _("Registered on %(date)s: less than a year ago (%(days)d days).")
            % {"date": _day(registered), "days": (today - registered).days},
        )
    return RuleResult(
        "registered_a_year", True, SOFT, _("Registered on %(date)s.") % {"date": _day(registered)}
    )


def evaluate(application: Application, *, now: datetime) -> list[RuleResult]:
    """Every rule of the application's call, in the order an officer reads them."""
    lines = list(application.budget_lines.all())
    results: list[RuleResult | None] = [
        rule_deadline(application, now=now),
        rule_call_open(application, now=now),
        rule_one_per_organisation(application, now=now),
        rule_organisation_type(application, now=now),
        rule_credit_code(application, now=now),
        rule_blacklists(application, now=now),
        rule_failure_bar(application, now=now),
        rule_incubation_graduate(application, now=now),
        rule_required_sections(application, now=now, lines=lines),
        *budget_rules(application, now=now, lines=lines),
        rule_rating_current(application, now=now),
        rule_partner_community(application, now=now),
        rule_registered_a_year(application, now=now),
    ]
    return [result for result in results if result is not None]


def stored_results(application: Application) -> list[RuleResult]:
    """The results stored at submission, as ``RuleResult`` objects."""
    return [RuleResult.from_dict(item) for item in application.eligibility or []]


__all__ = ["RuleResult", "evaluate", "stored_results"]
