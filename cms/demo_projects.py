"""Demo pages of the funded projects and the organisation directory, in Chinese and English.

``build_project_pages(home, language_code)`` gives ``home`` a project index (``projects``) and an
organisation directory (``organisations``). Idempotent like ``cms.demo``: each page is found by
(parent, slug, locale) and created only when missing; nothing that exists is edited. The English
pages share the translation key of the Chinese ones when those exist (build Chinese first).
The projects and organisations themselves come from the grants and incubator demos.
"""

from __future__ import annotations

from typing import TextIO

from wagtail.models import Locale

from cms.models import HomePage, OrganisationIndexPage, ProjectIndexPage
from cms.public_urls import ORGANISATIONS_SLUG, PROJECTS_SLUG

ZH = "zh-hans"
EN = "en"

PROJECT_INDEX = {
    ZH: {
        "title": "资助项目",
        "intro": "<p>这里公开每一个签约后的公益创投项目：由哪家社会组织在哪个社区实施、获得多少资助、"
        "已拨付多少，以及对照申报指标的实际进展和经审核的活动照片。居民可以通过项目页面参与评议，"
        "志愿者可以报名参加项目活动。</p>",
        "search_description": "崇川区公益创投资助项目公开：资助金额、拨付进度、指标完成情况与活动照片。",
    },
    EN: {
        "title": "Funded projects",
        "intro": "<p>Every venture philanthropy project is published here from the day its agreement "
        "is signed: which social organisation runs it in which community, the grant and what has "
        "been paid so far, progress against the indicators it promised, and photos from the "
        "reports our officers accepted. Residents can rate a project and volunteers can join its "
        "activities.</p>",
        "search_description": "Funded community projects: grants, payments, progress against "
        "indicators and photos from accepted reports.",
    },
}

ORGANISATION_INDEX = {
    ZH: {
        "title": "社会组织名录",
        "intro": "<p>获得公益创投资助的社会组织名录。每家组织的页面公开其登记信息、等级评估结果和历年项目记录"
        "（含结项评估等级），方便居民、社区和资助方了解它们做过什么、做得怎样。</p>",
        "search_description": "获得公益创投资助的社会组织：登记信息、等级评估与项目记录。",
    },
    EN: {
        "title": "Organisation directory",
        "intro": "<p>The social organisations that have received a venture philanthropy grant. Each "
        "profile shows the organisation's registration, its civil-affairs rating and its track "
        "record of projects with their final evaluation grades, so that residents, communities "
        "and funders can see what it has done and how well.</p>",
        "search_description": "Funded social organisations: registration, rating and track record.",
    },
}


def _source(model, slug: str, language_code: str):
    """The Chinese page an English one translates (same translation key), if it exists."""
    if language_code == ZH:
        return None
    return model.objects.filter(slug=slug, locale__language_code=ZH).first()


def build_project_pages(
    home: HomePage, language_code: str, *, stdout: TextIO | None = None
) -> tuple[ProjectIndexPage, OrganisationIndexPage]:
    """The home's project index and organisation directory in ``language_code``; made if missing."""
    from cms.demo import _ensure_page

    locale = Locale.objects.get(language_code=language_code)
    projects = _ensure_page(
        home,
        ProjectIndexPage,
        slug=PROJECTS_SLUG,
        locale=locale,
        source=_source(ProjectIndexPage, PROJECTS_SLUG, language_code),
        stdout=stdout,
        show_in_menus=True,
        **PROJECT_INDEX[language_code],
    )
    organisations = _ensure_page(
        home,
        OrganisationIndexPage,
        slug=ORGANISATIONS_SLUG,
        locale=locale,
        source=_source(OrganisationIndexPage, ORGANISATIONS_SLUG, language_code),
        stdout=stdout,
        show_in_menus=True,
        **ORGANISATION_INDEX[language_code],
    )
    return projects, organisations
