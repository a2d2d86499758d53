from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OrganisationType(models.TextChoices):
    SOCIAL_GROUP = "social_group", _("Social group (社会团体)")
    SOCIAL_SERVICE = "social_service", _("Social service organisation (民办非企业单位)")
    FOUNDATION = "foundation", _("Foundation (基金会)")
    COMMUNITY_ORG = "community_org", _("Community social organisation (filed)")


class Rating(models.TextChoices):
    """等级评估: the civil-affairs rating, 1A (lowest) to 5A."""

    A1 = "1A", "1A"
    A2 = "2A", "2A"
    A3 = "3A", "3A"
    A4 = "4A", "4A"
    A5 = "5A", "5A"


class CommunityLevel(models.TextChoices):
    DISTRICT = "district", pgettext_lazy("administrative level", "District")
    SUBDISTRICT = "subdistrict", pgettext_lazy("administrative level", "Sub-district")
    COMMUNITY = "community", pgettext_lazy("administrative level", "Community")


# Which level a unit's parent must have.
PARENT_LEVEL = {
    CommunityLevel.DISTRICT: None,
    CommunityLevel.SUBDISTRICT: CommunityLevel.DISTRICT,
    CommunityLevel.COMMUNITY: CommunityLevel.SUBDISTRICT,
}
