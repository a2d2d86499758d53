"""One service per user action on an application: the only code that writes applications.

Every action runs in ``transaction.atomic()``, locks the rows it changes with ``select_for_update``
in one fixed order (call → organisation → application; only the rows an action changes), checks the
actor's permission through django-rules (the permission names the transitions declare), runs the
django-fsm transition with ``by=actor`` and ``description=reason`` so django-fsm-log writes the
audit row in the same transaction, saves, and writes the in-app notifications; e-mails are queued
with ``transaction.on_commit`` so a rolled-back action never mails anyone.

Repeating an action that is already done (submit on a submitted application, withdraw on a
withdrawn one, …) returns the application unchanged: no second log row, no second e-mail.

Services return the freshly locked instance: use the returned object, not the one passed in.
"""

from __future__ import annotations

import os
import uuid
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed

from accounts.enums import Role
from grants import eligibility
from grants.enums import (
    EDITABLE_STATES,
    ApplicationState,
    AttachmentKind,
    BudgetCategory,
    CommentVisibility,
)
from grants.models import (
    Application,
    ApplicationComment,
    Attachment,
    BudgetLine,
    Call,
    CallForm,
)
from grants.services import files, notifications
from grants.services.errors import AlreadyApplied, SubmissionRefused, TransitionRefused
from incubator.models import Community, Organisation

S = ApplicationState

# The fixed sections ``save_draft`` accepts in ``fields``; amounts come from the budget lines.
TEXT_FIELDS = {
    "title": 200,
    "summary": None,
    "need": None,
    "objectives": None,
    "beneficiaries": None,
}
LIST_FIELDS = ("activities", "indicators", "team")
EDITABLE_FIELDS = frozenset({*TEXT_FIELDS, *LIST_FIELDS, "beneficiaries_count", "theme"})
MONEY_LIMIT = Decimal("9999999999.99")  # max_digits=12, decimal_places=2


# --- Locking and checks ------------------------------------------------------------------------


def _lock_application(application: Application | int) -> Application:
    """The application row, locked (only that row: ``of=("self",)``), with its call and organisation."""
    pk = application.pk if isinstance(application, Application) else application
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("call__programme", "organisation")
        .get(pk=pk)
    )


def _require(actor, perm: str, application: Application) -> None:
    if actor is None or not actor.has_perm(perm, application):
        raise PermissionDenied(_("You may not do this to this application."))


def _transition_permission(method) -> str:
    """The permission a transition method declares (the same for all its source states)."""
    permissions = {t.permission for t in method._django_fsm.transitions.values()}
    (permission,) = permissions
    return permission


def _refuse_state(application: Application, message=None):
    raise TransitionRefused(
        message
        or _("This is not possible while the application is “%(state)s”.")
        % {"state": application.get_state_display()},
        application=application,
    )


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Please give a reason; the applicant will read it.")})
    return reason


def _run_transition(
    application: Application,
    *,
    name: str,
    actor,
    target: str,
    description: str = "",
    refused_message=None,
    wrong_state_message=None,
    **kwargs,
) -> Application:
    """Lock, check permission, no-op if already done, transition, save and notify.

    ``refused_message`` explains a failed condition in an allowed source state;
    ``wrong_state_message`` (with ``%(state)s``) explains a source state the transition never leaves.
    """
    application = _lock_application(application)
    method = getattr(application, name)
    _require(actor, _transition_permission(method), application)
    if application.state == target:
        return application  # Done already: running an action twice has one effect.
    if not can_proceed(method):
        if can_proceed(method, False):
            _refuse_state(application, refused_message)
        _refuse_state(
            application,
            wrong_state_message % {"state": application.get_state_display()}
            if wrong_state_message
            else None,
        )
    source = application.state
    method(by=actor, description=description or None, **kwargs)
    application.save()
    notifications.notify_transition(
        application=application, verb=name, actor=actor, source=source, reason=description
    )
    return application


# --- Starting and editing a draft ---------------------------------------------------------------


def start_application(*, call: Call, organisation: Organisation, actor) -> Application:
    """Open a draft for ``organisation`` on ``call``.

    Where the call allows one application per organisation, the organisation's existing draft (or
    returned application) is returned instead of a second one (the Apply button pressed twice, two
    tabs); if it has already been submitted, ``AlreadyApplied`` says so and carries it.
    """
    if actor is None or organisation.pk not in actor.organisation_ids(Role.APPLICANT):
        raise PermissionDenied(_("You can only apply for an organisation you are a member of."))
    with transaction.atomic():
        # Lock order: call → organisation → application. The call is only read (starting drafts
        # must not queue behind each other); locking the organisation row serialises two members
        # of one organisation pressing Apply at once, and the partial unique constraint (one row
        # holding the call's slot) is the last line of defence.
        call = Call.objects.get(pk=call.pk)
        organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
        now = timezone.now()
        if call.one_application_per_organisation:
            existing = (
                Application.objects.filter(
                    call=call, organisation=organisation, holds_call_slot=True
                )
                .select_related("call", "organisation")
                .first()
            )
            if existing is not None:
                if existing.state in EDITABLE_STATES:
                    return existing
                raise AlreadyApplied(
                    _("Your organisation has already applied to this call (%(reference)s).")
                    % {"reference": existing.reference},
                    application=existing,
                )
        if not (call.opens_at <= now <= call.submission_deadline):
            raise TransitionRefused(
                _(
                    "This call is not open for applications: it opens %(opens)s and closes %(closes)s."
                )
                % {
                    "opens": timezone.localtime(call.opens_at).strftime("%Y-%m-%d %H:%M"),
                    "closes": timezone.localtime(call.closes_at).strftime("%Y-%m-%d %H:%M"),
                }
            )
        form = CallForm.objects.filter(call=call).order_by("-version").first()
        try:
            with transaction.atomic():
                application = Application.objects.create(
                    call=call,
                    organisation=organisation,
                    created_by=actor,
                    form=form,
                    holds_call_slot=call.one_application_per_organisation,
                    theme=call.themes[0] if len(call.themes or []) == 1 else "",
                    last_saved_at=now,
                )
        except IntegrityError as exc:  # another process won the race the row lock did not cover
            existing = Application.objects.filter(
                call=call, organisation=organisation, holds_call_slot=True
            ).first()
            if existing is None:
                raise
            if existing.state in EDITABLE_STATES:
                return existing
            raise AlreadyApplied(
                _("Your organisation has already applied to this call (%(reference)s).")
                % {"reference": existing.reference},
                application=existing,
            ) from exc
    return application


def _clean_text(name: str, value, limit: int | None, errors: dict) -> str:
    text = "" if value is None else str(value)
    if limit and len(text) > limit:
        errors[name] = _("At most %(limit)d characters (now %(count)d).") % {
            "limit": limit,
            "count": len(text),
        }
    return text


def _clean_list(name: str, value, errors: dict) -> list:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        errors[name] = _("This section has an unexpected format.")
        return []
    return value


def _money(value, field: str, errors: dict) -> Decimal:
    if value in (None, ""):
        return Decimal("0")
    try:
        amount = Decimal(str(value).replace(",", "").replace("¥", "").strip())
    except (InvalidOperation, ValueError):
        errors[field] = _("Enter an amount in yuan, e.g. 12000 or 12000.50.")
        return Decimal("0")
    if not amount.is_finite() or amount < 0:
        errors[field] = _("Amounts cannot be negative.")
        return Decimal("0")
    if amount > MONEY_LIMIT or amount != amount.quantize(Decimal("0.01")):
        errors[field] = _("Enter an amount in yuan with at most two decimals.")
        return Decimal("0")
    return amount


def _clean_budget_lines(lines: list[dict], errors: dict) -> list[BudgetLine]:
    cleaned = []
    for index, line in enumerate(lines):
        prefix = f"budget_lines-{index}"
        category = line.get("category") or BudgetCategory.OTHER
        if category not in BudgetCategory.values:
            errors[f"{prefix}-category"] = _("Choose a budget category.")
            continue
        description = str(line.get("description") or "").strip()
        if len(description) > 200:
            errors[f"{prefix}-description"] = _("At most %(limit)d characters (now %(count)d).") % {
                "limit": 200,
                "count": len(description),
            }
        amount = _money(line.get("amount"), f"{prefix}-amount", errors)
        matching = _money(line.get("matching_amount"), f"{prefix}-matching_amount", errors)
        if not description and not amount and not matching:
            continue  # an empty row the applicant has not filled yet
        cleaned.append(
            BudgetLine(
                position=index,
                category=category,
                description=description,
                amount=amount,
                matching_amount=matching,
            )
        )
    return cleaned


def save_draft(
    *,
    application: Application,
    actor,
    fields: dict,
    budget_lines: list[dict] | None = None,
    extra_answers: dict | None = None,
    partner_community_ids: list[int] | None = None,
) -> Application:
    """Autosave: store what the applicant typed so far; incomplete is fine, malformed is not.

    ``fields`` updates only the keys it holds (see ``EDITABLE_FIELDS``). ``budget_lines`` replaces
    all lines (dicts with category, description, amount, matching_amount); the requested and
    matching amounts are recomputed from them. ``extra_answers`` is merged (a ``None`` value
    removes an answer). ``partner_community_ids`` replaces the partner communities.
    Raises ``ValidationError`` (per field) and changes nothing if any value is malformed.
    """
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError(
            _("These fields cannot be saved here: %(fields)s")
            % {"fields": ", ".join(sorted(unknown))}
        )
    with transaction.atomic():
        application = _lock_application(application)
        _require(actor, "grants.edit_application", application)
        if application.state not in EDITABLE_STATES:
            _refuse_state(
                application,
                _("The application can no longer be changed: it is “%(state)s”.")
                % {"state": application.get_state_display()},
            )
        errors: dict = {}
        for name, value in fields.items():
            if name in TEXT_FIELDS:
                setattr(application, name, _clean_text(name, value, TEXT_FIELDS[name], errors))
            elif name in LIST_FIELDS:
                setattr(application, name, _clean_list(name, value, errors))
            elif name == "beneficiaries_count":
                if value in (None, ""):
                    application.beneficiaries_count = None
                else:
                    try:
                        count = int(value)
                        if count < 0:
                            raise ValueError
                        application.beneficiaries_count = count
                    except (TypeError, ValueError):
                        errors[name] = _("Enter a whole number of people.")
            elif name == "theme":
                if value and value not in (application.call.themes or []):
                    errors[name] = _("Choose one of this call's themes.")
                else:
                    application.theme = value or ""
        lines = _clean_budget_lines(budget_lines, errors) if budget_lines is not None else None
        if extra_answers is not None:
            if not isinstance(extra_answers, dict):
                errors["extra_answers"] = _("This section has an unexpected format.")
            else:
                answers = dict(application.extra_answers or {})
                for key, value in extra_answers.items():
                    if value is None:
                        answers.pop(key, None)
                    else:
                        answers[str(key)] = value
                application.extra_answers = answers
        communities = None
        if partner_community_ids is not None:
            wanted = {int(pk) for pk in partner_community_ids if str(pk).strip()}
            communities = list(Community.objects.filter(pk__in=wanted))
            if len(communities) != len(wanted):
                errors["partner_communities"] = _("Choose communities from the list.")
        if errors:
            raise ValidationError(errors)

        if lines is not None:
            application.budget_lines.all().delete()
            for line in lines:
                line.application = application
            BudgetLine.objects.bulk_create(lines)
            application.requested_amount = sum((line.amount for line in lines), Decimal("0"))
            application.matching_amount = sum(
                (line.matching_amount for line in lines), Decimal("0")
            )
        if communities is not None:
            application.partner_communities.set(communities)
        application.last_saved_at = timezone.now()
        application.save()
    return application


# --- Attachments -------------------------------------------------------------------------------


def add_attachment(*, application: Application, actor, uploaded_file, kind: str) -> Attachment:
    """Check the file's real type (by its bytes) and size, store it privately with its SHA-256.

    Nothing is stored when the file is refused (``ValidationError`` with a readable reason).
    """
    if kind not in AttachmentKind.values:
        raise ValidationError({"kind": _("Choose what kind of document this is.")})
    with transaction.atomic():
        application = _lock_application(application)
        _require(actor, "grants.edit_application", application)
        if application.state not in EDITABLE_STATES:
            _refuse_state(
                application,
                _("Files can no longer be added: the application is “%(state)s”.")
                % {"state": application.get_state_display()},
            )
        checked = files.check_upload(uploaded_file, max_mb=application.call.max_attachment_mb)
        original_name = os.path.basename(uploaded_file.name or "file")[-255:]
        attachment = Attachment(
            application=application,
            kind=kind,
            original_name=original_name,
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
            uploaded_by=actor,
        )
        # The stored name is random: people's file names are kept for display only.
        uploaded_file.seek(0)
        attachment.file.save(f"{uuid.uuid4().hex}{checked.extension}", uploaded_file, save=False)
        try:
            attachment.save()
        except Exception:
            attachment.file.delete(save=False)
            raise
    return attachment


def remove_attachment(*, attachment: Attachment, actor) -> None:
    with transaction.atomic():
        application = _lock_application(attachment.application_id)
        _require(actor, "grants.edit_application", application)
        if application.state not in EDITABLE_STATES:
            _refuse_state(
                application,
                _("Files can no longer be removed: the application is “%(state)s”.")
                % {"state": application.get_state_display()},
            )
        attachment = Attachment.objects.filter(pk=attachment.pk, application=application).first()
        if attachment is None:
            return  # removed already
        name, storage = attachment.file.name, attachment.file.storage
        attachment.delete()
        # The file goes only once the row is surely gone.
        transaction.on_commit(lambda: storage.delete(name))


# --- Transitions -------------------------------------------------------------------------------


def submit_application(*, application: Application, actor) -> Application:
    """Evaluate the call's rules and submit; hard failures raise ``SubmissionRefused``.

    The results of every rule are stored on the application for the officer. Submitting an
    application that is already submitted returns it unchanged.
    """
    with transaction.atomic():
        application = _lock_application(application)
        _require(actor, "grants.submit_application", application)
        if application.state == S.SUBMITTED:
            return application
        if application.state not in EDITABLE_STATES:
            _refuse_state(application)
        results = eligibility.evaluate(application, now=timezone.now())
        if any(result.blocks for result in results):
            raise SubmissionRefused(results, application=application)
        application.eligibility = [result.as_dict() for result in results]
        source = application.state
        application.submit(by=actor, description=None)
        application.save()
        notifications.notify_transition(
            application=application, verb="submit", actor=actor, source=source, reason=""
        )
    return application


def start_screening(*, application: Application, actor) -> Application:
    with transaction.atomic():
        return _run_transition(
            application,
            name="start_screening",
            actor=actor,
            target=S.SCREENING,
            refused_message=_(
                "This call has no eligibility screening: accept the application for review."
            ),
        )


def accept_for_review(*, application: Application, actor) -> Application:
    with transaction.atomic():
        return _run_transition(
            application,
            name="accept_for_review",
            actor=actor,
            target=S.IN_REVIEW,
            refused_message=_("Start the eligibility screening first."),
        )


def return_for_revision(
    *, application: Application, actor, reason: str, revision_due_at=None
) -> Application:
    reason = _require_reason(reason)
    if revision_due_at is not None and revision_due_at <= timezone.now():
        raise ValidationError(
            {"revision_due_at": _("The revision deadline must be in the future.")}
        )
    with transaction.atomic():
        return _run_transition(
            application,
            name="return_for_revision",
            actor=actor,
            target=S.RETURNED,
            description=reason,
            revision_due_at=revision_due_at,
        )


def mark_ineligible(*, application: Application, actor, reason: str) -> Application:
    reason = _require_reason(reason)
    with transaction.atomic():
        return _run_transition(
            application,
            name="mark_ineligible",
            actor=actor,
            target=S.INELIGIBLE,
            description=reason,
        )


def withdraw_application(*, application: Application, actor, reason: str = "") -> Application:
    with transaction.atomic():
        return _run_transition(
            application,
            name="withdraw",
            actor=actor,
            target=S.WITHDRAWN,
            description=(reason or "").strip(),
            wrong_state_message=_("The application can no longer be withdrawn: it is “%(state)s”."),
        )


def terminate_application(*, application: Application, actor, reason: str) -> Application:
    reason = _require_reason(reason)
    with transaction.atomic():
        return _run_transition(
            application,
            name="terminate",
            actor=actor,
            target=S.TERMINATED,
            description=reason,
            wrong_state_message=_(
                "Only a funded project can be terminated; this application is “%(state)s”."
            ),
        )


# --- Comments ----------------------------------------------------------------------------------


def add_comment(
    *, application: Application, actor, body: str, visibility: str
) -> ApplicationComment:
    if visibility not in CommentVisibility.values:
        raise ValidationError({"visibility": _("Choose who may read the comment.")})
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write a comment first.")})
    with transaction.atomic():
        application = _lock_application(application)
        _require(actor, "grants.comment_application", application)
        if visibility == CommentVisibility.STAFF:
            _require(actor, "grants.view_staff_comments", application)
        comment = ApplicationComment.objects.create(
            application=application, author=actor, body=body, visibility=visibility
        )
        notifications.notify_comment(comment=comment, actor=actor)
    return comment
