from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncubatorConfig(AppConfig):
    name = "incubator"
    verbose_name = _("Incubator and directory")

    def ready(self) -> None:
        # django-rules autodiscovers only ``rules.py``; the area rule modules register here.
        from incubator import (  # noqa: F401
            rules_community,  # noqa: F401
            rules_incubation,
            rules_vault,
            rules_volunteers,  # noqa: F401
        )
