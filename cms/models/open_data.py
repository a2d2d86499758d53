"""The transparency dashboard (信息公开, issue #8): one page per language at /open-data/.

Routes (Wagtail's RoutablePageMixin, so the page keeps the editor's intro and methodology and the
site's chrome):

- ``/open-data/``: the programme and year picker, and the dashboard of the newest year with data;
- ``/open-data/<programme>/<year>/``: the dashboard of one programme's year;
- ``/open-data/<programme>/<year>/csv/`` and ``json/``: the same figures as files (named
  ``open-data-<programme>-<year>.csv``/``.json`` by Content-Disposition: Wagtail's page URLs allow
  no dot, so the paths cannot end in ``data.csv``).

The views are thin: the figures come from ``cms.selectors_open_data`` and the charts from the
finance and impact areas' SVG helpers. A programme with no public project that year is a 404,
exactly like one that does not exist.
"""

from __future__ import annotations

import csv

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index

from cms.models.site import SeoMixin

TEXT_FEATURES = ["h3", "bold", "italic", "link", "ol", "ul"]


class TransparencyPage(RoutablePageMixin, SeoMixin, Page):
    intro = RichTextField(_("introduction"), blank=True, features=TEXT_FEATURES)
    methodology = RichTextField(
        _("methodology notes"),
        blank=True,
        features=TEXT_FEATURES,
        help_text=_("How the figures are counted: shown under the dashboard."),
    )

    parent_page_types = ["cms.HomePage"]
    subpage_types: list[str] = []
    max_count_per_parent = 1

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("methodology")]
    search_fields = Page.search_fields + [
        index.SearchField("intro"),
        index.SearchField("methodology"),
    ]

    class Meta:
        verbose_name = _("transparency dashboard")

    def description_source(self) -> str:
        return self.intro

    # --- Routes ----------------------------------------------------------------------------------

    @path("", name="index")
    def index_route(self, request):
        from cms.selectors_open_data import latest_with_data, programmes_with_data

        choices = programmes_with_data()
        latest = latest_with_data(choices)
        if latest is None:
            return self.render(
                request,
                template="cms/transparency_page.html",
                context_overrides={"choices": choices, "data": None},
            )
        programme, year = latest
        return self._dashboard(request, programme=programme, year=year, choices=choices)

    @path("<int:programme_pk>/<int:year>/", name="dashboard")
    def dashboard_route(self, request, programme_pk: int, year: int):
        from cms.selectors_open_data import programmes_with_data

        data = self._data(programme_pk, year)
        return self._dashboard(
            request,
            programme=data.programme,
            year=year,
            choices=programmes_with_data(),
            data=data,
            # Each programme-year is a page of its own for search engines and shared links.
            canonical_url=request.build_absolute_uri(self.dashboard_url(programme_pk, year)),
        )

    @path("<int:programme_pk>/<int:year>/json/", name="json")
    def json_route(self, request, programme_pk: int, year: int):
        from cms.selectors_open_data import as_dict

        data = self._data(programme_pk, year)
        response = JsonResponse(as_dict(data), json_dumps_params={"ensure_ascii": False})
        response["Content-Disposition"] = f'inline; filename="{self._filename(data)}.json"'
        return response

    @path("<int:programme_pk>/<int:year>/csv/", name="csv")
    def csv_route(self, request, programme_pk: int, year: int):
        from cms.selectors_open_data import csv_rows

        data = self._data(programme_pk, year)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self._filename(data)}.csv"'
        # The byte-order mark makes Excel read the file as UTF-8 (Chinese names intact).
        response.write("\ufeff")
        csv.writer(response).writerows(csv_rows(data))
        return response

    # --- Helpers ---------------------------------------------------------------------------------

    def _data(self, programme_pk: int, year: int):
        from cms.selectors_open_data import open_data
        from grants.models import Programme

        programme = get_object_or_404(Programme, pk=programme_pk)
        data = open_data(programme=programme, year=year)
        if not data.projects:
            raise Http404("No public project of this programme in this year.")
        return data

    @staticmethod
    def _filename(data) -> str:
        return f"open-data-{data.programme.pk}-{data.year}"

    def dashboard_url(self, programme_pk: int, year: int, route: str = "dashboard") -> str:
        return (self.url or "/") + self.reverse_subpage(route, args=[programme_pk, year])

    def _dashboard(self, request, *, programme, year, choices, data=None, canonical_url=""):
        from cms.selectors_open_data import CHART_MONEY, open_data
        from grants.charts_finance import bar_chart
        from grants.charts_impact import grades_chart

        if data is None:
            data = open_data(programme=programme, year=year)
        labels = {
            "awarded": gettext("Awarded"),
            "paid": gettext("Paid"),
            "spent": gettext("Spent"),
        }
        headings = {
            "district": (gettext("By district"), gettext("District")),
            "theme": (gettext("By theme"), gettext("Theme")),
            "organisation_type": (gettext("By organisation type"), gettext("Organisation type")),
        }
        sections = [
            {
                "key": dimension,
                "heading": headings[dimension][0],
                "column": headings[dimension][1],
                "tallies": tallies,
                "chart": bar_chart(tallies, labels, figures=CHART_MONEY),
            }
            for dimension, tallies in data.breakdowns
        ]
        for choice in choices:
            choice.links = [
                (choice_year, self.dashboard_url(choice.programme.pk, choice_year))
                for choice_year in choice.years
            ]
        language = translation.get_language()
        projects = [(project, project.url(language)) for project in data.projects]
        return self.render(
            request,
            template="cms/transparency_page.html",
            context_overrides={
                "canonical_url": canonical_url,
                "choices": choices,
                "data": data,
                "projects": projects,
                "sections": sections,
                "grades_chart": grades_chart(data.grades),
                "csv_url": self.dashboard_url(programme.pk, year, "csv"),
                "json_url": self.dashboard_url(programme.pk, year, "json"),
                "api_url": reverse(
                    "api-v1:open_data_figures", kwargs={"programme_id": programme.pk, "year": year}
                ),
            },
        )
