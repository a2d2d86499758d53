"""Stable codes of the community side of 五社联动: social workers, charitable resources, 三事分流.

Codes are stored and compared; labels are only shown (and translated).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CertificateLevel(models.TextChoices):
    """The national social-work qualification (社会工作者职业资格), lowest to highest."""

    NONE = "none", _("No certificate")
    ASSISTANT = "assistant", _("Assistant social worker (助理社会工作师)")
    INTERMEDIATE = "intermediate", _("Social worker (社会工作师)")
    SENIOR = "senior", _("Senior social worker (高级社会工作师)")


CERTIFIED_LEVELS = (
    CertificateLevel.ASSISTANT,
    CertificateLevel.INTERMEDIATE,
    CertificateLevel.SENIOR,
)


class DonorKind(models.TextChoices):
    PERSON = "person", _("Person")
    COMPANY = "company", _("Company")


class PledgeState(models.TextChoices):
    PLEDGED = "pledged", pgettext_lazy("matching pledge state", "Pledged")
    ACTIVE = "active", pgettext_lazy("matching pledge state", "Active")
    FULFILLED = "fulfilled", pgettext_lazy("matching pledge state", "Fulfilled")
    CANCELLED = "cancelled", pgettext_lazy("matching pledge state", "Cancelled")


# Only an active pledge matches donations; the others count as promised (or not at all).
MATCHING_STATES = (PledgeState.ACTIVE,)
# What the 五社联动 view counts as mobilised: everything not cancelled.
COUNTED_PLEDGE_STATES = (PledgeState.PLEDGED, PledgeState.ACTIVE, PledgeState.FULFILLED)


class ProposalState(models.TextChoices):
    """三事分流: a resident's proposal from submission to a micro-call or an application draft."""

    SUBMITTED = "submitted", pgettext_lazy("proposal state", "Submitted")
    CLASSIFIED_MAJOR = (
        "classified_major",
        pgettext_lazy("proposal state", "Major matter (government)"),
    )
    CLASSIFIED_MINOR = (
        "classified_minor",
        pgettext_lazy("proposal state", "Minor matter (community public affairs)"),
    )
    CLASSIFIED_PRIVATE = (
        "classified_private",
        pgettext_lazy("proposal state", "Private matter (market)"),
    )
    VOTING = "voting", pgettext_lazy("proposal state", "Residents voting")
    ADOPTED = "adopted", pgettext_lazy("proposal state", "Adopted by residents")
    NOT_ADOPTED = "not_adopted", pgettext_lazy("proposal state", "Not adopted")
    CONVERTED = "converted", pgettext_lazy("proposal state", "Turned into a project")


class Matter(models.TextChoices):
    """The three kinds of 三事分流; the classification transition is chosen by this code."""

    MAJOR = "major", _("大事: for the government")
    MINOR = "minor", _("小事: community public affairs")
    PRIVATE = "private", _("私事: private, for the market")


MATTER_TARGET = {
    Matter.MAJOR: ProposalState.CLASSIFIED_MAJOR,
    Matter.MINOR: ProposalState.CLASSIFIED_MINOR,
    Matter.PRIVATE: ProposalState.CLASSIFIED_PRIVATE,
}
CLASSIFIED_STATES = tuple(MATTER_TARGET.values())
# Proposals whose vote has been counted: the public page shows their tallies.
VOTED_STATES = (
    ProposalState.VOTING,
    ProposalState.ADOPTED,
    ProposalState.NOT_ADOPTED,
    ProposalState.CONVERTED,
)
