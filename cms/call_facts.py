"""What a public call page says about a ``grants.Call``, in plain words, from the call's own settings.

Nothing here is stored: the countdown is computed from the server clock at render time (the
browser only refreshes it, see static/js/countdown.js), and the eligibility sentences follow the
call's per-call settings, so an officer who changes a setting changes the page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from grants.budget import yuan
from grants.enums import CallPhase
from grants.models import Call
from grants.models.blacklist import BAR_YEARS, BlacklistKind

# Calls announce their dates in Beijing time, whatever the reader's time zone.
CALL_TIME_ZONE = ZoneInfo("Asia/Shanghai")


# --- Countdown -------------------------------------------------------------------------------


def _unit(name: str, count: int, shown: int | str | None = None) -> str:
    """ "5 days"; with ``shown="{n}"`` the template countdown.js fills in (%(count)s, not %(count)d)."""
    shown = count if shown is None else shown
    if name == "day":
        return ngettext("%(count)s day", "%(count)s days", count) % {"count": shown}
    if name == "hour":
        return ngettext("%(count)s hour", "%(count)s hours", count) % {"count": shown}
    return ngettext("%(count)s minute", "%(count)s minutes", count) % {"count": shown}


def duration_text(left: timedelta) -> str:
    """ "5 days 3 hours", "3 hours 20 minutes", "20 minutes": the two largest units, rounded down.

    countdown.js does exactly the same, so the text does not jump when the script takes over.
    """
    minutes_total = max(int(left.total_seconds() // 60), 0)
    days, rest = divmod(minutes_total, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        parts = [_unit("day", days)] + ([_unit("hour", hours)] if hours else [])
    elif hours:
        parts = [_unit("hour", hours)] + ([_unit("minute", minutes)] if minutes else [])
    else:
        parts = [_unit("minute", max(minutes, 1))]
    return " ".join(parts)


@dataclass(frozen=True)
class Countdown:
    """Time to the call's next moment: its closing (open call) or its opening (upcoming call)."""

    phase: str
    target: datetime | None
    now: datetime
    text: str
    template: str = ""  # "{time} left", for the script
    done_text: str = ""  # what the script shows when the moment has passed

    @property
    def target_iso(self) -> str:
        # Whole seconds: every browser's Date.parse reads them (not all read microseconds).
        return self.target.astimezone(CALL_TIME_ZONE).isoformat(timespec="seconds")

    @property
    def now_iso(self) -> str:
        return self.now.astimezone(CALL_TIME_ZONE).isoformat(timespec="seconds")

    @property
    def units_json(self) -> str:
        """The unit words in the page's language, singular and plural, for countdown.js."""
        return json.dumps(
            {
                name: [_unit(name, 1, "{n}"), _unit(name, 2, "{n}")]
                for name in ("day", "hour", "minute")
            },
            ensure_ascii=False,
        )


def countdown(call: Call, *, now: datetime) -> Countdown:
    phase = call.phase(now)
    if phase == CallPhase.OPEN:
        return Countdown(
            phase=phase,
            target=call.closes_at,
            now=now,
            text=_("%(time)s left") % {"time": duration_text(call.closes_at - now)},
            template=_("%(time)s left") % {"time": "{time}"},
            done_text=_("The deadline has passed."),
        )
    if phase == CallPhase.UPCOMING:
        return Countdown(
            phase=phase,
            target=call.opens_at,
            now=now,
            text=_("Opens in %(time)s") % {"time": duration_text(call.opens_at - now)},
            template=_("Opens in %(time)s") % {"time": "{time}"},
            done_text=_("The call is open now: reload the page to apply."),
        )
    return Countdown(phase=phase, target=None, now=now, text=_("The deadline has passed."))


def apply_blocked_reason(phase: str) -> str:
    """Why the Apply button is disabled ("" when it is not)."""
    if phase == CallPhase.CLOSED:
        return str(CallPhase.CLOSED.label)
    if phase == CallPhase.UPCOMING:
        return pgettext("call", "Not open yet")
    return ""


# --- Eligibility in plain words ----------------------------------------------------------------


def _percent(value: int) -> str:
    return f"{value}%"


@dataclass(frozen=True)
class EligibilityText:
    """The call's rules as sentences, grouped as the page shows them."""

    who: list[str] = field(default_factory=list)
    budget: list[str] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)


def eligibility_text(call: Call) -> EligibilityText:
    text = EligibilityText()

    # Who may apply
    if call.allow_filed_community_orgs:
        text.who.append(
            _(
                "Registered social organisations with a unified social credit code may apply, and "
                "so may community social organisations filed with their sub-district."
            )
        )
    else:
        text.who.append(
            _(
                "Only registered social organisations with a unified social credit code may apply; "
                "community social organisations that are only filed may not."
            )
        )
    if call.one_application_per_organisation:
        text.who.append(_("Each organisation may submit one application to this call."))
    else:
        text.who.append(_("An organisation may submit more than one application to this call."))
    text.who.append(
        _(
            "Organisations on the abnormal-activity list in the last %(abnormal)s year, on the "
            "serious-violation (dishonesty) list in the last %(serious)s years, or with a major "
            "violation in the last %(major)s years may not apply."
        )
        % {
            "abnormal": BAR_YEARS[BlacklistKind.ABNORMAL_ACTIVITY],
            "serious": BAR_YEARS[BlacklistKind.SERIOUS_VIOLATION],
            "major": BAR_YEARS[BlacklistKind.MAJOR_VIOLATION],
        }
    )
    if call.failure_bar_years:
        text.who.append(
            ngettext(
                "Organisations whose funded project failed or was terminated in the last year may not apply.",
                "Organisations whose funded project failed or was terminated in the last %(years)s years may not apply.",
                call.failure_bar_years,
            )
            % {"years": call.failure_bar_years}
        )

    # Money
    if call.min_grant:
        text.budget.append(
            _("Each project may ask for %(min)s to %(max)s.")
            % {"min": yuan(call.min_grant), "max": yuan(call.max_grant)}
        )
    else:
        text.budget.append(
            _("Each project may ask for up to %(max)s.") % {"max": yuan(call.max_grant)}
        )
    if call.requires_matching:
        text.budget.append(
            _(
                "Matching funds are required: the grant may pay at most %(share)s of the project "
                "budget, so at least %(matching)s must come from other sources."
            )
            % {
                "share": _percent(call.max_grant_share_percent),
                "matching": _percent(100 - call.max_grant_share_percent),
            }
        )
    else:
        text.budget.append(_("Matching funds are welcome but not required."))
    text.budget.append(
        _(
            "Personnel costs may be at most %(personnel)s of the grant, and the management fee at "
            "most %(management)s."
        )
        % {
            "personnel": _percent(call.personnel_cap_percent),
            "management": _percent(call.management_cap_percent),
        }
    )
    text.budget.append(
        _("Attachments may be PDF, Word, Excel, JPG or PNG files of at most %(size)s MB each.")
        % {"size": call.max_attachment_mb}
    )

    # What happens after submission
    if call.has_screening:
        text.stages.append(
            _(
                "A programme officer checks every submitted application for eligibility first, "
                "and may return it to you for revision."
            )
        )
    text.stages.append(
        ngettext(
            "An expert reviews each eligible application with the rubric below.",
            "%(count)s experts review each eligible application with the rubric below.",
            call.reviewers_per_application,
        )
        % {"count": call.reviewers_per_application}
    )
    if call.has_defense:
        text.stages.append(
            _(
                "Shortlisted organisations present their project to the panel at a live pitch (路演)."
            )
        )
    if call.has_public_notice:
        text.stages.append(
            ngettext(
                "The results are published for a public notice (公示) of %(days)s day, during which anyone may raise an objection.",
                "The results are published for a public notice (公示) of %(days)s days, during which anyone may raise an objection.",
                call.public_notice_days,
            )
            % {"days": call.public_notice_days}
        )
    else:
        text.stages.append(_("The results are announced without a public-notice period."))
    return text
