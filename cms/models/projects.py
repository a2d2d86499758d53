"""Funded project pages and the organisation directory (issue #8).

Two index pages with fixed slugs directly under each home: ``/projects/`` and ``/organisations/``
(``/en/…`` in English). Editors write the title, the introduction and the SEO fields; everything
else is read from the grants and incubator data through ``cms.selectors_projects``, so a page can
never disagree with the records and never shows what is not public. Each index routes
``<int:pk>/`` to one project or one organisation (``cms.public_urls`` builds these links from data
alone, so the slugs may not change).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index

from cms.models.site import DESCRIPTION_LENGTH, SeoMixin
from cms.public_urls import ORGANISATIONS_SLUG, PROJECTS_SLUG, organisation_url, project_url


class RoutedSeoMixin(SeoMixin):
    """SEO of an index page whose routes show one record: the route sets title, description and
    share image; without a route the editor's fields (SeoMixin) apply."""

    _route_seo: dict | None = None

    def set_route_seo(self, *, title: str, description: str, image_url: str = "") -> None:
        text = " ".join(strip_tags(description or "").split())
        self._route_seo = {
            "title": title,
            "description": Truncator(text).chars(DESCRIPTION_LENGTH),
            "image_url": image_url,
        }

    @property
    def meta_title(self) -> str:
        if self._route_seo:
            return self._route_seo["title"]
        return super().meta_title

    @property
    def meta_description(self) -> str:
        if self._route_seo:
            return self._route_seo["description"]
        return super().meta_description

    @property
    def route_og_image_url(self) -> str:
        """A share image of the record (a URL; ``og_image`` is for Wagtail images)."""
        return (self._route_seo or {}).get("image_url", "")


def _fixed_slug(page: Page, slug: str) -> None:
    if page.slug != slug:
        raise ValidationError(
            {
                "slug": _("Links to this page are built from its slug: it must be “%(slug)s”.")
                % {"slug": slug}
            }
        )


def _paginate(queryset, request, per_page: int):
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def _language_context(request, url_for) -> dict:
    """The record's URL in every language: hreflang links (absolute) and the language switcher's
    targets (``language_urls``, read by ``cms_tags.language_links``), so that switching language on
    /projects/5/ lands on /en/projects/5/ rather than on the index."""
    urls = {code: url_for(code) for code, _name in settings.LANGUAGES}
    return {
        "alternates": [(code, request.build_absolute_uri(url)) for code, url in urls.items()],
        "language_urls": urls,
    }


class ProjectIndexPage(RoutablePageMixin, RoutedSeoMixin, Page):
    """资助项目: the public list of funded projects, and one page per project (``<pk>/``)."""

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

    parent_page_types = ["cms.HomePage"]
    subpage_types: list[str] = []
    max_count_per_parent = 1
    show_in_menus_default = True
    template = "cms/projects_index_page.html"
    per_page = 12

    content_panels = Page.content_panels + [FieldPanel("intro")]
    search_fields = Page.search_fields + [index.SearchField("intro")]

    class Meta:
        verbose_name = _("project index")

    def description_source(self) -> str:
        return self.intro

    def clean(self) -> None:
        super().clean()
        _fixed_slug(self, PROJECTS_SLUG)

    @path("")
    def project_list(self, request):
        from cms import selectors_projects as sel

        filters = sel.ProjectFilters.from_query(request.GET)
        projects = _paginate(sel.project_list(filters=filters), request, self.per_page)
        for project in projects:
            self._decorate(project)
        return self.render(
            request,
            template="cms/projects_index_page.html",
            context_overrides={
                "projects": projects,
                "filters": filters,
                "options": sel.project_filter_options(),
            },
        )

    @path("<int:pk>/")
    def project_detail(self, request, pk: int):
        from cms import selectors_projects as sel
        from grants import stripe_gateway
        from grants.enums import FUNDED_STATES
        from grants.selectors_impact import build_impact, fetch_figures, project_row
        from grants.services.feedback import closed_reason

        project = sel.public_project(pk=pk)
        if project is None:
            raise Http404
        self._decorate(project)
        impact = build_impact([project_row(project)], fetch_figures([project.pk])).projects[0]
        photos = sel.public_photos(application_id=project.pk)
        channel = getattr(project, "feedback_channel", None)
        feedback_url = ""
        if channel is not None and not closed_reason(channel, application=project):
            feedback_url = reverse("grants:feedback_public", args=[channel.token])
        donate_url = ""
        if project.state in FUNDED_STATES and stripe_gateway.donations_enabled():
            donate_url = reverse("grants:donations_project", args=[project.pk])
        photo_urls = [
            {
                "evidence": photo,
                "small": reverse("project_photo", args=[photo.pk, "small"]),
                "large": reverse("project_photo", args=[photo.pk, "large"]),
            }
            for photo in photos
        ]
        self.set_route_seo(
            title=project.title or project.reference,
            description=project.summary or project.objectives,
            image_url=request.build_absolute_uri(photo_urls[0]["large"]) if photo_urls else "",
        )
        return self.render(
            request,
            template="cms/projects_detail_page.html",
            context_overrides={
                "project": project,
                "impact": impact,
                "grade": impact.grade if project.state in sel.CLOSED_STATES else None,
                "money": impact.money or {},
                "photos": photo_urls,
                "has_reports": sel.has_accepted_report(application_id=project.pk),
                "opportunities": sel.volunteer_opportunities(
                    application=project, now=timezone.now()
                ),
                "donate_url": donate_url,
                "feedback_url": feedback_url,
                "canonical_url": request.build_absolute_uri(project_url(project.pk)),
                **_language_context(request, lambda code: project_url(project.pk, code)),
            },
        )

    @staticmethod
    def _decorate(project) -> None:
        """What the templates show that is not a field: links, plain-words state, places, award."""
        from cms.selectors_projects import state_words

        agreement = getattr(project, "agreement", None)
        project.public_url = project_url(project.pk)
        project.organisation_url = organisation_url(project.organisation_id)
        project.state_words = state_words(project.state)
        project.award = agreement.award_amount if agreement is not None else None
        project.starts_on = agreement.starts_on if agreement is not None else None
        project.ends_on = agreement.ends_on if agreement is not None else None
        project.places = [community.full_name for community in project.partner_communities.all()]


class OrganisationIndexPage(RoutablePageMixin, RoutedSeoMixin, Page):
    """社会组织名录: the listed organisations (see cms.selectors_projects) and one profile each."""

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

    parent_page_types = ["cms.HomePage"]
    subpage_types: list[str] = []
    max_count_per_parent = 1
    show_in_menus_default = True
    template = "cms/organisations_index_page.html"
    per_page = 20

    content_panels = Page.content_panels + [FieldPanel("intro")]
    search_fields = Page.search_fields + [index.SearchField("intro")]

    class Meta:
        verbose_name = _("organisation directory")

    def description_source(self) -> str:
        return self.intro

    def clean(self) -> None:
        super().clean()
        _fixed_slug(self, ORGANISATIONS_SLUG)

    @path("")
    def organisation_list(self, request):
        from cms import selectors_projects as sel
        from incubator.enums import OrganisationType

        filters = sel.OrganisationFilters.from_query(request.GET)
        organisations = _paginate(sel.organisation_list(filters=filters), request, self.per_page)
        for organisation in organisations:
            organisation.public_url = organisation_url(organisation.pk)
        return self.render(
            request,
            template="cms/organisations_index_page.html",
            context_overrides={
                "organisations": organisations,
                "filters": filters,
                "districts": sel.organisation_districts(),
                "types": OrganisationType.choices,
            },
        )

    @path("<int:pk>/")
    def organisation_detail(self, request, pk: int):
        from cms import selectors_projects as sel

        organisation = sel.public_organisation(pk=pk)
        if organisation is None:
            raise Http404
        projects = sel.organisation_projects(organisation_id=organisation.pk)
        grades = sel.track_record_grades(projects)
        for project in projects:
            ProjectIndexPage._decorate(project)
            project.grade = grades.get(project.pk)
        self.set_route_seo(
            title=organisation.name,
            description=organisation.description or organisation.name,
        )
        return self.render(
            request,
            template="cms/organisations_detail_page.html",
            context_overrides={
                "organisation": organisation,
                "projects": projects,
                "closed_states": sel.CLOSED_STATES,
                "canonical_url": request.build_absolute_uri(organisation_url(organisation.pk)),
                **_language_context(request, lambda code: organisation_url(organisation.pk, code)),
            },
        )
