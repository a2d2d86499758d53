"""Page types of the public site (bakerydemo style: each type says where it may live).

Home → news index → news pages; home → standard pages (about, contact, …); home → call index →
call pages (one per ``grants.Call`` and locale). Every page answers
``meta_title``, ``meta_description``, ``og_type`` and ``og_image`` for <title>, <meta name=description>
and the Open Graph tags that WeChat reads when a link is shared.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import models
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from cms.blocks import BodyBlock, CallDocumentBlock, FeaturedSectionBlock

DESCRIPTION_LENGTH = 120  # WeChat cuts the share card's description at about this many characters


class SeoMixin:
    """What the <head> of every page needs; the editor's SEO fields win over derived values."""

    og_type = "website"

    def description_source(self) -> str:
        return ""

    @property
    def meta_title(self) -> str:
        return self.seo_title or self.title

    @property
    def meta_description(self) -> str:
        if self.search_description:
            return self.search_description
        text = " ".join(strip_tags(self.description_source()).split())
        return Truncator(text).chars(DESCRIPTION_LENGTH)

    @property
    def og_image(self):
        return None


class HomePage(SeoMixin, Page):
    hero_text = models.CharField(
        _("hero text"), max_length=200, blank=True, help_text=_("One sentence under the site name.")
    )
    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])
    featured_sections = StreamField(
        [("section", FeaturedSectionBlock())], blank=True, verbose_name=_("featured sections")
    )

    # One home per locale, all directly under the tree root.
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = [
        "cms.NewsIndexPage",
        "cms.StandardPage",
        "cms.CallIndexPage",
        "cms.TransparencyPage",
        "cms.ProjectIndexPage",
        "cms.OrganisationIndexPage",
    ]

    content_panels = Page.content_panels + [
        FieldPanel("hero_text"),
        FieldPanel("intro"),
        FieldPanel("featured_sections"),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("hero_text"),
        index.SearchField("intro"),
    ]

    class Meta:
        verbose_name = _("home page")

    def description_source(self) -> str:
        return self.hero_text or self.intro

    def get_context(self, request, *args, **kwargs):
        # Selectors import these models, hence the imports inside the method.
        from cms.selectors import call_pages_for, latest_news
        from cms.selectors_home import home_figures, latest_notices
        from grants.selectors import open_calls

        context = super().get_context(request, *args, **kwargs)
        context["news_index"] = NewsIndexPage.objects.live().child_of(self).first()
        context["latest_news"] = latest_news(locale=self.locale, limit=3)
        calls = list(open_calls(now=timezone.now())[:6])
        # Each open call links to its public page in this home's language, when there is one.
        pages = call_pages_for(call_ids=[call.pk for call in calls], locale=self.locale)
        for call in calls:
            call.public_page = pages.get(call.pk)
        context["open_calls"] = calls
        now = timezone.now()
        context["notices"] = [(notice, notice.is_open(now)) for notice in latest_notices()]
        context["figures"] = home_figures()
        return context


class NewsIndexPage(SeoMixin, Page):
    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.NewsPage"]
    per_page = 10

    content_panels = Page.content_panels + [FieldPanel("intro")]
    search_fields = Page.search_fields + [index.SearchField("intro")]

    class Meta:
        verbose_name = _("news index")

    def description_source(self) -> str:
        return self.intro

    def get_context(self, request, *args, **kwargs):
        from cms.selectors import news_under

        context = super().get_context(request, *args, **kwargs)
        paginator = Paginator(news_under(index=self), self.per_page)
        try:
            news_page = paginator.page(request.GET.get("page", 1))
        except PageNotAnInteger:
            news_page = paginator.page(1)
        except EmptyPage:
            news_page = paginator.page(paginator.num_pages)
        context["news_page"] = news_page
        return context


class NewsPage(SeoMixin, Page):
    date = models.DateField(_("date"), default=timezone.localdate)
    intro = models.TextField(
        _("summary"), max_length=300, help_text=_("Shown in lists and when the link is shared.")
    )
    image = models.ForeignKey(
        "wagtailimages.Image",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("image"),
    )
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("body"))

    parent_page_types = ["cms.NewsIndexPage"]
    subpage_types: list[str] = []
    og_type = "article"

    content_panels = Page.content_panels + [
        MultiFieldPanel([FieldPanel("date"), FieldPanel("image")], heading=_("news details")),
        FieldPanel("intro"),
        FieldPanel("body"),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("intro"),
        index.SearchField("body"),
        index.FilterField("date"),
    ]

    class Meta:
        verbose_name = _("news item")
        verbose_name_plural = _("news items")

    def description_source(self) -> str:
        return self.intro

    @property
    def og_image(self):
        return self.image


class StandardPage(SeoMixin, Page):
    intro = models.TextField(_("introduction"), blank=True, max_length=300)
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("body"))

    parent_page_types = ["cms.HomePage", "cms.StandardPage"]
    subpage_types = ["cms.StandardPage"]

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]
    search_fields = Page.search_fields + [
        index.SearchField("intro"),
        index.SearchField("body"),
    ]

    class Meta:
        verbose_name = _("standard page")

    def description_source(self) -> str:
        return self.intro


class CallIndexPage(SeoMixin, Page):
    """创投公告: the public list of calls, in three sections (open, upcoming, closed)."""

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.CallPage"]
    max_count_per_parent = 1
    show_in_menus_default = True

    content_panels = Page.content_panels + [FieldPanel("intro")]
    search_fields = Page.search_fields + [index.SearchField("intro")]

    class Meta:
        verbose_name = _("call index")

    def description_source(self) -> str:
        return self.intro

    def get_context(self, request, *args, **kwargs):
        from cms.selectors import call_pages_by_phase

        context = super().get_context(request, *args, **kwargs)
        now = timezone.now()
        context["now"] = now
        context["sections"] = call_pages_by_phase(index=self, now=now)
        return context


class CallPage(SeoMixin, Page):
    """The public page of one ``grants.Call``: what it funds, the rules, the rubric, Apply.

    The facts (budget, dates, rules, rubric) are read from the call, so the page never disagrees
    with what the application form enforces; the editor writes the introduction and attaches the
    documents. One page per call in each language.
    """

    call = models.ForeignKey(
        "grants.Call",
        on_delete=models.PROTECT,
        related_name="pages",
        verbose_name=_("call for proposals"),
        help_text=_("Budget, dates, rules and rubric are shown from this call."),
    )
    intro = RichTextField(
        _("introduction"),
        blank=True,
        features=["h3", "bold", "italic", "link", "ol", "ul", "document-link"],
        help_text=_("Leave empty to show the call's summary."),
    )
    documents = StreamField(
        [("document", CallDocumentBlock())], blank=True, verbose_name=_("documents")
    )

    parent_page_types = ["cms.CallIndexPage"]
    subpage_types: list[str] = []

    content_panels = Page.content_panels + [
        FieldPanel("call"),
        FieldPanel("intro"),
        FieldPanel("documents"),
    ]
    search_fields = Page.search_fields + [index.SearchField("intro")]

    class Meta:
        verbose_name = _("call page")

    def description_source(self) -> str:
        if self.intro:
            return self.intro
        return self.call.summary if self.call_id else ""

    def clean(self) -> None:
        super().clean()
        # The page row has no locale column of its own (it lives on wagtailcore_page), so this
        # rule is checked here; Page.save() runs full_clean(), so every save path meets it.
        if self.call_id and self.locale_id:
            duplicate = (
                CallPage.objects.filter(call_id=self.call_id, locale_id=self.locale_id)
                .exclude(pk=self.pk)
                .exists()
            )
            if duplicate:
                raise ValidationError({"call": _("This call already has a page in this language.")})

    def get_context(self, request, *args, **kwargs):
        from cms import call_facts
        from cms.selectors import call_for_page

        context = super().get_context(request, *args, **kwargs)
        now = timezone.now()
        call = call_for_page(call_id=self.call_id)
        rubric = list(call.rubric.all())
        timer = call_facts.countdown(call, now=now)
        context.update(
            call=call,
            now=now,
            countdown=timer,
            is_open=timer.phase == "open",
            apply_blocked_reason=call_facts.apply_blocked_reason(timer.phase),
            eligibility=call_facts.eligibility_text(call),
            rubric=rubric,
            rubric_total=sum(criterion.weight for criterion in rubric),
        )
        return context


@register_setting(icon="mail")
class ContactSettings(BaseGenericSetting):
    """Contact details in the footer, edited by officers under Settings in the admin."""

    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("telephone"), max_length=40, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)

    panels = [FieldPanel("email"), FieldPanel("phone"), FieldPanel("address")]

    class Meta:
        verbose_name = _("contact details")
