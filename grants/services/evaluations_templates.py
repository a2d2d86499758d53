"""Evaluation templates of a call: the default four dimensions, and the officer's edits.

A template is copied onto each evaluation when it starts (``grants.services.evaluations``), so
editing it changes later evaluations only.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from grants.enums_evaluations import (
    DEFAULT_BONUS_GUIDANCE,
    DEFAULT_DIMENSIONS,
    DEFAULT_PENALTY_GUIDANCE,
    MAX_SCORE,
    EvaluationKind,
)
from grants.models import Call, EvaluationDimension, EvaluationTemplate

K = EvaluationKind


def parse_number(value, field: str, errors: dict, *, low: Decimal, high: Decimal) -> Decimal | None:
    """A typed number as a Decimal in [low, high] (blank is None); records a message otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = Decimal(str(value).strip().replace("，", ".").replace(",", "."))
    except (InvalidOperation, ValueError):
        number = None
    if number is None or not number.is_finite():
        errors.setdefault(field, []).append(_("Enter a number."))
        return None
    if number < low or number > high:
        errors.setdefault(field, []).append(
            _("Give a number from %(low)s to %(high)s.") % {"low": low, "high": high}
        )
        return None
    return number


def template_for(*, call: Call, kind: str) -> EvaluationTemplate:
    """The call's template for ``kind``; the default four dimensions (100 points) if it has none."""
    if kind not in K.values:
        raise ValueError(f"unknown evaluation kind {kind!r}")
    template = EvaluationTemplate.objects.filter(call=call, kind=kind).first()
    if template is not None:
        return template
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        # Stored in the site's language: officers edit these words as the call's own text.
        template, created = EvaluationTemplate.objects.get_or_create(
            call=call,
            kind=kind,
            defaults={
                "bonus_guidance": str(DEFAULT_BONUS_GUIDANCE),
                "penalty_guidance": str(DEFAULT_PENALTY_GUIDANCE),
            },
        )
        if created:
            EvaluationDimension.objects.bulk_create(
                EvaluationDimension(
                    template=template,
                    position=position,
                    label=str(label),
                    weight=weight,
                    indicators=str(indicators),
                )
                for position, (label, weight, indicators) in enumerate(DEFAULT_DIMENSIONS)
            )
    return template


def save_template(
    *,
    template: EvaluationTemplate,
    actor,
    pass_mark,
    bonus_max,
    bonus_guidance: str,
    penalty_max,
    penalty_guidance: str,
    dimensions: list[dict],
) -> EvaluationTemplate:
    """Replace a template's settings and dimensions ({"label", "weight", "indicators"}).

    The weights must add up to 100. Evaluations already started keep their own copy.
    """
    if actor is None or not actor.has_perm("grants.manage_evaluation"):
        raise PermissionDenied(_("Only programme officers edit evaluation templates."))
    errors: dict[str, list] = {}
    pass_mark = parse_number(pass_mark, "pass_mark", errors, low=Decimal("1"), high=MAX_SCORE)
    bonus_max = parse_number(bonus_max, "bonus_max", errors, low=Decimal("0"), high=Decimal("20"))
    penalty_max = parse_number(
        penalty_max, "penalty_max", errors, low=Decimal("0"), high=Decimal("20")
    )
    rows = [row for row in dimensions if (row.get("label") or "").strip()]
    weights = []
    for row in rows:
        try:
            weight = int(row.get("weight"))
        except (TypeError, ValueError):
            weight = 0
        if not 0 < weight <= 100:
            errors.setdefault("dimensions", []).append(
                _("“%(label)s”: give its points as a whole number from 1 to 100.")
                % {"label": row["label"].strip()}
            )
        weights.append(weight)
    if not rows:
        errors.setdefault("dimensions", []).append(_("Add at least one dimension."))
    elif "dimensions" not in errors and sum(weights) != 100:
        errors.setdefault("dimensions", []).append(
            _("The dimensions add up to %(sum)s points; they must add up to 100.")
            % {"sum": sum(weights)}
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        template = EvaluationTemplate.objects.select_for_update().get(pk=template.pk)
        template.pass_mark = pass_mark
        template.bonus_max = bonus_max
        template.bonus_guidance = (bonus_guidance or "").strip()
        template.penalty_max = penalty_max
        template.penalty_guidance = (penalty_guidance or "").strip()
        template.save()
        template.dimensions.all().delete()
        EvaluationDimension.objects.bulk_create(
            EvaluationDimension(
                template=template,
                position=position,
                label=row["label"].strip()[:100],
                weight=weight,
                indicators=(row.get("indicators") or "").strip(),
            )
            for position, (row, weight) in enumerate(zip(rows, weights, strict=True))
        )
    return template
