from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncubatorConfig(AppConfig):
    name = "incubator"
    verbose_name = _("Incubator and directory")
