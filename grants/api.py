from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Body, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from grants.models import Application
from grants.selectors import application_for_viewer, applications_of_user, open_calls
from grants.services.errors import SubmissionRefused, TransitionRefused
from grants.transitions import ACTIONS, available_actions, run_action

router = Router()


class CallOut(Schema):
    id: int
    slug: str
    title: str
    programme: str
    funder: str
    themes: list[str]
    budget: Decimal
    min_grant: Decimal
    max_grant: Decimal
    opens_at: datetime
    closes_at: datetime
    submission_deadline: datetime

    @staticmethod
    def resolve_programme(call) -> str:
        return call.programme.name

    @staticmethod
    def resolve_funder(call) -> str:
        return call.programme.funder


@router.get("/open", response=list[CallOut], auth=None, summary="Calls open for applications now")
def list_open_calls(request):
    return list(open_calls(now=timezone.now()))


# --- Applications: mine, one, and its transitions ---------------------------------------------
# Mounted at /api/v1/applications/ (yichuang/api.py). Someone who may not view an application gets
# 404, exactly as for an id that does not exist; the transitions run the same services as the pages.

applications_router = Router()


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] | None = None
    failures: list[dict] | None = None


class BudgetLineOut(Schema):
    category: str
    category_label: str
    description: str
    amount: Decimal
    matching_amount: Decimal

    @staticmethod
    def resolve_category_label(line) -> str:
        return str(line.get_category_display())


class ApplicationSummaryOut(Schema):
    id: int
    reference: str
    call_id: int
    call_title: str
    organisation_id: int
    organisation: str
    title: str
    state: str
    state_label: str
    requested_amount: Decimal
    matching_amount: Decimal
    submitted_at: datetime | None
    revision_due_at: datetime | None
    updated_at: datetime

    @staticmethod
    def resolve_call_title(application) -> str:
        return application.call.title

    @staticmethod
    def resolve_organisation(application) -> str:
        return application.organisation.name

    @staticmethod
    def resolve_state_label(application) -> str:
        return str(application.get_state_display())


class ApplicationOut(ApplicationSummaryOut):
    theme: str
    summary: str
    need: str
    objectives: str
    activities: list[dict]
    beneficiaries: str
    beneficiaries_count: int | None
    indicators: list[dict]
    partner_communities: list[str]
    team: list[dict]
    extra_answers: dict
    form_version: int | None
    budget_lines: list[BudgetLineOut]
    eligibility: list[dict]

    @staticmethod
    def resolve_partner_communities(application) -> list[str]:
        return [community.name for community in application.partner_communities.all()]

    @staticmethod
    def resolve_form_version(application) -> int | None:
        return application.form.version if application.form_id else None

    @staticmethod
    def resolve_budget_lines(application) -> list:
        return list(application.budget_lines.all())


class TransitionOut(Schema):
    code: str
    label: str
    reason: str  # "none", "optional" or "required"


class TransitionIn(Schema):
    reason: str = ""
    revision_due_at: datetime | None = None


def _visible_application(request, application_id: int) -> Application:
    application = application_for_viewer(pk=application_id, user=request.user)
    if application is None:
        raise HttpError(404, _("Application not found."))
    return application


@applications_router.get(
    "/mine",
    response=list[ApplicationSummaryOut],
    summary="Applications of the signed-in user's organisations",
)
def my_applications(request):
    return list(applications_of_user(user=request.user))


@applications_router.get(
    "/{int:application_id}",
    response={200: ApplicationOut, 404: ErrorOut},
    summary="One application with every answer",
)
def application_detail(request, application_id: int):
    return _visible_application(request, application_id)


@applications_router.get(
    "/{int:application_id}/transitions",
    response={200: list[TransitionOut], 404: ErrorOut},
    summary="Transitions the signed-in user may run on the application now",
)
def application_transitions(request, application_id: int):
    application = _visible_application(request, application_id)
    return [
        {"code": action.code, "label": str(action.label), "reason": action.reason}
        for action in available_actions(application=application, user=request.user)
    ]


@applications_router.post(
    "/{int:application_id}/transitions/{code}",
    response={
        200: ApplicationSummaryOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    summary="Run a transition (403: not yours to run; 409: not in this state; 422: bad input)",
)
def run_transition(request, application_id: int, code: str, payload: TransitionIn = Body(None)):  # noqa: B008
    application = _visible_application(request, application_id)
    if code not in ACTIONS:
        return Status(404, {"detail": _("Unknown transition “%(code)s”.") % {"code": code}})
    payload = payload or TransitionIn()
    try:
        application = run_action(
            code,
            application=application,
            actor=request.user,
            reason=payload.reason,
            revision_due_at=payload.revision_due_at,
        )
    except PermissionDenied as error:
        return Status(403, {"detail": str(error) or _("You may not do this to this application.")})
    except SubmissionRefused as error:
        return Status(
            409,
            {
                "detail": str(error),
                "failures": [result.as_dict() for result in error.failures],
            },
        )
    except TransitionRefused as error:
        return Status(409, {"detail": str(error)})
    except ValidationError as error:
        errors = (
            {field: [str(m) for m in messages] for field, messages in error.message_dict.items()}
            if hasattr(error, "error_dict")
            else {"__all__": [str(m) for m in error.messages]}
        )
        return Status(
            422,
            {
                "detail": " ".join(m for messages in errors.values() for m in messages),
                "errors": errors,
            },
        )
    # The service returns the locked row without the call/organisation this schema reads.
    return _visible_application(request, application.pk)
