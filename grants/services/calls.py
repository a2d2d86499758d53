"""Writes to a call's set-up that must keep history: the versions of its extra questions."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grants.models import Call, CallForm

QUESTION_TYPES = ("text", "textarea", "number", "choice", "yesno")


def normalise_questions(questions: list[dict]) -> list[dict]:
    """The stored shape of the questions: every key present, choices only for choice questions.

    Comparing normalised lists is what tells a real change from a save that changed nothing.
    """
    normalised = []
    keys = set()
    for raw in questions or []:
        key = str(raw.get("key") or "").strip()
        label = str(raw.get("label") or "").strip()
        kind = raw.get("type") or "text"
        if not key or not label:
            raise ValidationError(_("Every question needs a key and a label."))
        if key in keys:
            raise ValidationError(_("The question key “%(key)s” is used twice.") % {"key": key})
        if kind not in QUESTION_TYPES:
            raise ValidationError(_("Unknown question type: %(type)s") % {"type": kind})
        keys.add(key)
        question = {
            "key": key,
            "label": label,
            "help": str(raw.get("help") or "").strip(),
            "type": kind,
            "required": bool(raw.get("required")),
        }
        if kind == "choice":
            choices = [str(c).strip() for c in raw.get("choices") or [] if str(c).strip()]
            if not choices:
                raise ValidationError(
                    _("The choice question “%(label)s” needs at least one choice.")
                    % {"label": label}
                )
            question["choices"] = choices
        normalised.append(question)
    return normalised


def _same_questions(stored: list[dict], questions: list[dict]) -> bool:
    try:
        return normalise_questions(stored) == questions
    except ValidationError:  # an old version that no longer passes the checks: now it changes
        return False


def latest_questions(call: Call) -> list[dict]:
    form = CallForm.objects.filter(call=call).order_by("-version").first()
    return list(form.questions) if form else []


def publish_call_questions(*, call: Call, questions: list[dict], actor) -> CallForm | None:
    """Publish the call's extra questions as a new ``CallForm`` version when they changed.

    Existing versions are never edited: applications keep the version they answered, and
    ``start_application`` gives new applications the latest one. Saving the same questions again
    writes nothing and returns None. An empty list on a call that never had questions is no change.
    """
    if not actor.has_perm("grants.manage_call", call):
        raise PermissionDenied
    questions = normalise_questions(questions)
    with transaction.atomic():
        # The call row lock serialises two officers saving at once, so versions stay 1, 2, 3 …
        call = Call.objects.select_for_update().get(pk=call.pk)
        latest = CallForm.objects.filter(call=call).order_by("-version").first()
        if latest is None and not questions:
            return None
        if latest is not None and _same_questions(latest.questions, questions):
            return None
        return CallForm.objects.create(
            call=call,
            version=(latest.version + 1) if latest else 1,
            questions=questions,
            created_at=timezone.now(),
        )
