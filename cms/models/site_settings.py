"""Site-wide settings of the public site that are not contact details."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting


@register_setting(icon="image")
class SiteSettings(BaseGenericSetting):
    """The picture shown when a link without its own image is shared (WeChat, Weibo, e-mail)."""

    share_image = models.ForeignKey(
        "wagtailimages.Image",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("default share image"),
        help_text=_(
            "Shown when a page without its own image is shared. Landscape, at least 1200×630 "
            "pixels; it is cropped to that shape."
        ),
    )

    panels = [FieldPanel("share_image")]

    class Meta:
        verbose_name = _("sharing")
