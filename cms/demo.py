"""The demo public site: home, calls for proposals, news, about, in Chinese and English.

``build_site()`` is idempotent: every page is found by (parent, slug, locale) and created only when
missing; nothing that exists is edited, so a second run writes nothing (no new revision either) and
an editor's changes survive a re-seed. The news is drawn from published reports on community
governance (see /work/shared/seeds/), summarised in our own words.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import TextIO
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape
from wagtail.models import Locale, Page, Site
from wagtail.rich_text import RichText

from cms.models import (
    CallIndexPage,
    CallPage,
    ContactSettings,
    HomePage,
    NewsIndexPage,
    NewsPage,
    StandardPage,
)

ZH = "zh-hans"
EN = "en"


def _paragraphs(*texts: str) -> list[tuple[str, RichText]]:
    return [("paragraph", RichText(f"<p>{text}</p>")) for text in texts]


@dataclass(frozen=True)
class NewsItem:
    slug: str
    date: datetime.date
    title: dict[str, str]
    intro: dict[str, str]
    body: dict[str, list[str]] = field(default_factory=dict)


NEWS = [
    NewsItem(
        slug="chongchuan-neighbourhood-plus",
        date=datetime.date(2026, 3, 12),
        title={
            ZH: "崇川区“邻里+”：把社区治理的重心放到楼道口",
            EN: "Chongchuan's “Neighbourhood+”: community governance moves down to the stairwell",
        },
        intro={
            ZH: "南通市崇川区把“邻里”建成社区之下的一级治理单元，区财政每年安排不少于200万元向社会组织购买服务，"
            "群众议事已化解停车、老小区改造等事项1320多件。",
            EN: "Nantong's Chongchuan District made the neighbourhood a unit of governance below the "
            "community, buys services from social organisations with at least ¥2 million a year, and "
            "has settled more than 1,320 local issues through residents' deliberation.",
        },
        body={
            ZH: [
                "作为全国社区治理和服务创新实验区，崇川区在每个社区之下划分“邻里”，由居民选出邻里和谐促进会理事长和楼栋长，"
                "负责信息、服务和自治三件事。每个社区有一位挂职律师，每个邻里至少有一名调解员。",
                "服务供给方面，区财政每年不少于200万元、每个街道不少于20万元，用于“公益助力计划”和向社会组织购买服务。"
                "全区常年活跃着2100多支服务队伍，每年完成服务项目6000多个。",
                "社工队伍也在变得更专业：2021年全区社区工作者持证率达到51%。",
            ],
            EN: [
                "As a national pilot zone for community governance, Chongchuan divides each community "
                "into neighbourhoods whose residents elect a council chair and building captains, "
                "responsible for information, services and self-governance. Every community has a "
                "lawyer on call and every neighbourhood at least one mediator.",
                "The district budget sets aside at least ¥2 million a year, and each sub-district at "
                "least ¥200,000, for a public-benefit programme and for buying services from social "
                "organisations. More than 2,100 service teams deliver over 6,000 projects a year.",
                "Community workers are becoming more professional too: in 2021, 51% held a social "
                "work certificate.",
            ],
        },
    ),
    NewsItem(
        slug="nanan-three-kinds-of-matters",
        date=datetime.date(2026, 5, 20),
        title={
            ZH: "南岸区“三事分流”：居民的小事，商量着办",
            EN: "Nan'an sorts residents' requests into big, small and private matters",
        },
        intro={
            ZH: "重庆市南岸区把居民诉求分成大事、小事、私事，小事由社区和社会组织协商解决。"
            "南坪街道的“V益案”征集居民公益方案300多份，落地社区项目356个。",
            EN: "Chongqing's Nan'an District sorts requests into government matters, community "
            "“small matters” and private ones. Nanping's “V-Yi proposals” drew 300+ resident "
            "ideas and led to 356 community projects.",
        },
        body={
            ZH: [
                "“大事”是政府的管理和基本公共服务，由政府负责；“小事”是楼道卫生、停车管理、关爱孤老这类社区公共事务，"
                "由社区“两委”牵头，社区社会组织和居民一起协商解决；“私事”则引导居民自己解决或寻求市场服务。",
                "在南坪街道，益友公益发展中心联合13个社区公益站开展23场宣传，请居民就身边小事提出解决方案，"
                "共征集有效方案300多份，最终联动社区和驻区单位实施社区治理项目356个。",
                "桃花桥社区今福小区的停车难问题，经过多次院坝会和车主座谈形成管理方案，由业主“一户一票”实名表决，以96%的票数通过。",
            ],
            EN: [
                "Big matters (administration and basic public services) belong to the government. "
                "Small matters, such as stairwell cleaning, parking or care for elderly people living "
                "alone, are settled by the community committees together with community "
                "organisations and residents. Private matters are left to families or the market.",
                "In Nanping sub-district a local charity and 13 community stations held 23 outreach "
                "events asking residents for solutions to small problems around them: more than 300 "
                "proposals came in, and 356 community projects were carried out.",
                "In Jinfu estate, a parking plan drafted in courtyard meetings was put to a "
                "one-household-one-vote ballot and passed with 96% approval.",
            ],
        },
    ),
    NewsItem(
        slug="haishu-open-space",
        date=datetime.date(2026, 7, 8),
        title={
            ZH: "海曙区“开放空间”议事：近万条建议，满意度95%",
            EN: "Haishu's “open space” meetings: ten thousand suggestions, 95% satisfaction",
        },
        intro={
            ZH: "宁波市海曙区2013年起用“开放空间”方法组织居民议事，收集意见建议近万条，有效解决率近90%；"
            "2021年起在“三社联动”基础上推进“五社联动”。",
            EN: "Ningbo's Haishu District has run residents' meetings in the “open space” format "
            "since 2013, collecting nearly 10,000 suggestions with a resolution rate close to 90%, "
            "and has moved from three-party to five-party collaboration.",
        },
        body={
            ZH: [
                "在开放空间里，居民自己提出议题、分组讨论、互相让步，最后形成大家都能接受的方案。"
                "参与者从党员骨干和居民代表扩展到社会组织和志愿者团队，居民满意度达到95%。",
                "2010年，海曙区成立了浙江省首家区域社会组织服务中心，建立政府购买服务和公益创投机制；"
                "2021年又在社区、社会组织、社工之外加入社区志愿者和社会慈善资源，形成“五社联动”。",
            ],
            EN: [
                "In an open-space meeting residents set the agenda, discuss in groups, make "
                "concessions and settle on a plan everyone can accept. Participants now include "
                "social organisations and volunteer teams, and satisfaction stands at 95%.",
                "Haishu opened Zhejiang's first district service centre for social organisations in "
                "2010 and set up government purchase of services and venture philanthropy. In 2021 "
                "it added community volunteers and charitable resources to the collaboration of "
                "communities, social organisations and social workers.",
            ],
        },
    ),
    NewsItem(
        slug="gusu-micro-venture-philanthropy",
        date=datetime.date(2026, 9, 16),
        title={
            ZH: "姑苏区：区级微公益创投连续三年，108个项目落地社区",
            EN: "Gusu: three years of district micro-grants, 108 community projects",
        },
        intro={
            ZH: "苏州市姑苏区建成17个社会组织孵化基地，区级微公益创投连续三年实施108个项目，"
            "社会组织参与上级公益创投获得扶持资金1590多万元。",
            EN: "Suzhou's Gusu District has built 17 incubation bases for social organisations; "
            "its district micro-grant competition funded 108 projects in three years, and local "
            "organisations won over ¥15.9 million in higher-level competitions.",
        },
        body={
            ZH: [
                "苏州是较早开展公益创投和“公益伙伴日”的城市之一，并率先实施本土督导培养计划，让专业社工机构参与社区建设。",
                "姑苏区在2014年实现“政社互动”全覆盖，此后通过孵化基地培育社会组织，用微公益创投支持社区里的小项目，"
                "并为社会组织领军人才和社工提供评选、补贴和能力提升计划。",
            ],
            EN: [
                "Suzhou was among the first cities to run venture philanthropy competitions and "
                "partnership days, and to train local supervisors so that professional social work "
                "agencies could take part in community building.",
                "Gusu has since incubated social organisations in its bases, funded small community "
                "projects through micro-grants, and rewarded leading organisation managers and "
                "social workers with recognition, subsidies and training.",
            ],
        },
    ),
    NewsItem(
        slug="yichuang-goes-online",
        date=datetime.date(2026, 11, 2),
        title={
            ZH: "益创平台上线：申报、评审、拨付全程在线",
            EN: "Yichuang goes online: apply, review and get funded in one place",
        },
        intro={
            ZH: "社会组织注册一次机构信息即可反复使用，在线申报公益创投项目；评审专家在线打分并申报回避，评审结果在网上公示。",
            EN: "Social organisations enter their profile once and apply online; reviewers score "
            "and declare conflicts of interest online, and results are published for public notice.",
        },
        body={
            ZH: [
                "益创把公益创投的各个环节放到一个平台上：发布创投公告、机构申报、资格审查、专家评审、结果公示、签约和分期拨付，"
                "以及项目执行中的活动记录和评估。",
                "平台同时服务社会组织孵化基地：入驻申请、培训和督导记录、能力评估和出壳。欢迎各社会组织注册使用。",
            ],
            EN: [
                "Yichuang brings every step of a venture philanthropy programme together: calls for "
                "proposals, applications, eligibility checks, expert review, public notice, "
                "agreements and funding in tranches, then activity records and evaluations.",
                "It also serves incubation bases: intake, training and mentoring records, capacity "
                "assessments and graduation. Social organisations are welcome to register.",
            ],
        },
    ),
]

HOME = {
    ZH: {
        "title": "益创",
        "seo_title": "益创 — 公益创投与社会组织孵化平台",
        "search_description": "益创：公益创投项目申报、评审、公示、拨付与社会组织孵化的一站式平台。",
        "hero_text": "让社区的小事有人办，让好项目有钱做。",
        "intro": "<p>益创是面向社会组织、社区和资助方的公益创投与孵化平台：发布创投公告，在线申报和评审，"
        "公开公示结果，跟踪项目执行和评估。</p>",
        "sections": [
            ("公益创投", "查看正在征集的创投项目，在线申报，随时了解评审进度。"),
            ("社会组织孵化", "入驻孵化基地，参加培训和督导，提升机构能力，顺利出壳。"),
            ("信息公开", "评审结果和资助项目向社会公示，欢迎居民监督和评议。"),
        ],
    },
    EN: {
        "title": "Yichuang",
        "seo_title": "Yichuang — venture philanthropy and incubation for social organisations",
        "search_description": "Yichuang: calls for proposals, review, public notice and funding of "
        "community projects, and incubation for social organisations.",
        "hero_text": "Small community matters get done; good projects get funded.",
        "intro": "<p>Yichuang is a venture philanthropy and incubation platform for social "
        "organisations, communities and funders: calls for proposals, online applications and "
        "review, public notice of results, and follow-up of projects and evaluations.</p>",
        "sections": [
            (
                "Venture philanthropy",
                "See the calls that are open, apply online and follow the review.",
            ),
            (
                "Incubation",
                "Join an incubation base, take part in training and mentoring, and graduate.",
            ),
            (
                "Open information",
                "Review results and funded projects are published for residents to see and rate.",
            ),
        ],
    },
}

NEWS_INDEX = {
    ZH: {"title": "新闻动态", "intro": "<p>公益创投、社区治理和社会组织发展的最新消息。</p>"},
    EN: {
        "title": "News",
        "intro": "<p>News on venture philanthropy, community governance and social organisations.</p>",
    },
}

ABOUT = {
    ZH: {
        "title": "关于益创",
        "intro": "益创是一套开源的公益创投与社会组织孵化管理系统。",
        "body": [
            ("heading", "我们做什么"),
            *_paragraphs(
                "政府和基金会通过公益创投资助社区里的公益项目：社会组织申报，专家评审，结果公示，分期拨付，第三方评估。"
                "益创让这些环节在一个平台上完成，规则由每次创投自己设定。",
                "我们支持“五社联动”：每个项目记录合作社区、社工、志愿者团队和配套资金，报表按这五个方面统计。",
            ),
            ("heading", "开源"),
            *_paragraphs("益创以 AGPL-3.0 许可证开源，任何地区都可以部署使用。"),
        ],
    },
    EN: {
        "title": "About Yichuang",
        "intro": "Yichuang is open-source software for venture philanthropy and the incubation of "
        "social organisations.",
        "body": [
            ("heading", "What we do"),
            *_paragraphs(
                "Governments and foundations fund community projects through venture philanthropy: "
                "social organisations apply, experts review, results are published, money is paid in "
                "tranches and projects are evaluated. Yichuang runs all of it in one place, with the "
                "rules set per call.",
                "Every project records its partner communities, social workers, volunteer teams and "
                "matching funds, so reports can count by each party of the collaboration.",
            ),
            ("heading", "Open source"),
            *_paragraphs("Yichuang is released under the AGPL-3.0 licence; any region may run it."),
        ],
    },
}


CALL_INDEX = {
    ZH: {
        "title": "创投公告",
        "intro": "<p>正在征集、即将开始和已经截止的公益创投项目征集公告。请在截止时间（北京时间）前在线提交申报。</p>",
    },
    EN: {
        "title": "Calls for proposals",
        "intro": "<p>Calls for proposals that are open, opening soon or closed. Apply online before "
        "the deadline (Beijing time).</p>",
    },
}

# The English page of each demo call (grants/demo.py); the Chinese page uses the call's own title
# and summary. "{year}" is the year in the call's Chinese title.
CALL_PAGES_EN = {
    "gusu-community-micro-projects": (
        "{year} Gusu community micro-projects: call for proposals",
        "Micro-projects for the “small matters” of a community: residents name the need, a social "
        "organisation designs and runs the project. Up to ¥30,000 per project; community social "
        "organisations filed with their sub-district may apply; one project per organisation.",
    ),
    "gusu-elderly-disability-services": (
        "{year} Gusu elderly and disability services: call for proposals",
        "Major projects by professional social organisations: home-based elderly care, care for "
        "people who cannot live independently, disability rehabilitation and community health. "
        "¥50,000 to ¥200,000 per project with at least 40% matching funds; shortlisted projects "
        "present at a live pitch.",
    ),
    "gusu-youth-moral-education": (
        "{year} Gusu youth, moral education and old-town culture: call for proposals",
        "Projects joining families, schools and communities: moral education for young people, "
        "after-school classes and the heritage of Suzhou's old town. Up to ¥100,000 per project.",
    ),
    "chongchuan-neighbourhood-plus": (
        "Chongchuan “Neighbourhood+” services: call for proposals",
        "Neighbourhood watch, residents' deliberation and neighbourhood culture projects. Up to "
        "¥50,000 per project.",
    ),
    "nanan-v-yi-an": (
        "Nan'an “V-Yi proposals”: residents' public-benefit ideas",
        "Solutions to a community's small matters: the surroundings, relations between neighbours "
        "and help for people in difficulty. Up to ¥20,000 per idea.",
    ),
}


def _say(stdout: TextIO | None, message: str) -> None:
    if stdout is not None:
        stdout.write(message + "\n")


def _ensure_page(
    parent: Page, model, *, slug: str, locale: Locale, source=None, stdout=None, **fields
):
    """The live ``model`` page under ``parent`` with ``slug`` in ``locale``; created if missing.

    ``source`` is the page this one translates (they share a translation key).
    """
    existing = model.objects.child_of(parent).filter(slug=slug, locale=locale).first()
    if existing is not None:
        return existing
    now = timezone.now()
    # Created live in one save, without a revision: the editor's first edit makes one. (Saving a
    # revision and publishing it would save every page three times: slow for tests and seeding.)
    page = model(
        slug=slug,
        locale=locale,
        live=True,
        has_unpublished_changes=False,
        first_published_at=now,
        last_published_at=now,
        **fields,
    )
    if source is not None:
        page.translation_key = source.translation_key
    parent.add_child(instance=page)
    _say(stdout, f"  + {model.__name__} {page.url_path}")
    return page


def _ensure_home(root: Page, locale: Locale, *, slug: str, source=None, stdout=None) -> HomePage:
    content = HOME[locale.language_code]
    return _ensure_page(
        root,
        HomePage,
        slug=slug,
        locale=locale,
        source=source,
        stdout=stdout,
        title=content["title"],
        seo_title=content["seo_title"],
        search_description=content["search_description"],
        hero_text=content["hero_text"],
        intro=content["intro"],
        featured_sections=[
            ("section", {"heading": heading, "text": text, "page": None})
            for heading, text in content["sections"]
        ],
    )


def _ensure_call_page(index: CallIndexPage, call, *, locale: Locale, source=None, stdout=None):
    """The call's page in ``locale``, wherever an editor moved or renamed it; created if missing."""
    existing = CallPage.objects.filter(call=call, locale=locale).first()
    if existing is not None:
        return existing
    if locale.language_code == ZH:
        title = call.title
        intro = "".join(
            f"<p>{escape(line)}</p>" for line in call.summary.splitlines() if line.strip()
        )
    else:
        title, intro = CALL_PAGES_EN.get(call.slug, (call.title, call.summary))
        year = re.match(r"(\d{4})年", call.title)
        title = title.format(year=year.group(1) if year else "").strip()
        intro = f"<p>{escape(intro)}</p>"
    return _ensure_page(
        index,
        CallPage,
        slug=call.slug,
        locale=locale,
        source=source,
        stdout=stdout,
        title=title,
        call=call,
        intro=intro,
    )


def _build_call_pages(indexes: dict[str, CallIndexPage], locales, stdout=None) -> None:
    """One page per demo call (made by grants/demo.py before the site is built), in each language."""
    from grants.demo import PROGRAMMES
    from grants.models import Call

    slugs = [call.slug for programme in PROGRAMMES for call in programme.calls]
    calls = {call.slug: call for call in Call.objects.filter(slug__in=slugs)}
    for slug in slugs:
        call = calls.get(slug)
        if call is None:
            continue
        source = None
        for locale in locales:
            page = _ensure_call_page(
                indexes[locale.language_code], call, locale=locale, source=source, stdout=stdout
            )
            source = source or page


def _create_tree_root(locale: Locale, stdout=None) -> Page:
    """The tree root Wagtail's migration makes, when it is gone (a flushed database, e.g. after
    a transactional test): every page hangs below it."""
    _say(stdout, "  + page tree root")
    return Page.add_root(instance=Page(title="Root", slug="root", locale=locale))


def _remove_welcome_page(root: Page, stdout=None) -> None:
    """Wagtail's installer makes a plain "Welcome to your new Wagtail site!" page the site root;
    an untouched one (no children) is ours to delete. Its Site row goes with it (cascade)."""
    for welcome in root.get_children().exact_type(Page).filter(numchild=0):
        _say(stdout, f"  - removed Wagtail's default page {welcome.title!r}")
        welcome.delete()


def _ensure_default_site(home: HomePage, stdout=None) -> Site:
    parts = urlsplit(settings.SITE_URL)
    hostname = parts.hostname or "localhost"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        site = Site.objects.create(
            hostname=hostname, port=port, root_page=home, is_default_site=True, site_name="益创"
        )
        _say(stdout, f"  + default site {hostname}:{port}")
    elif site.root_page_id != home.pk:
        site.root_page = home
        site.save(update_fields=["root_page"])
        _say(stdout, f"  ~ default site {site.hostname}:{site.port} now shows the home page")
    return site


@transaction.atomic
def build_site(*, stdout: TextIO | None = None) -> HomePage:
    """Build (or complete) the demo public site and return the Chinese home page."""
    _say(stdout, "Public site (cms):")
    zh, _ = Locale.objects.get_or_create(language_code=ZH)
    en, _ = Locale.objects.get_or_create(language_code=EN)
    root = Page.get_first_root_node() or _create_tree_root(zh, stdout)
    _remove_welcome_page(root, stdout)

    home = _ensure_home(root, zh, slug="home", stdout=stdout)
    # Siblings under the tree root share one slug space, whatever their locale (Wagtail's own
    # "translate" action names the copy home-en too).
    home_en = _ensure_home(root, en, slug="home-en", source=home, stdout=stdout)
    _ensure_default_site(home, stdout)

    indexes = {}
    call_indexes = {}
    for locale, parent in ((zh, home), (en, home_en)):
        code = locale.language_code
        # First, so that a fresh site lists the calls first in its menu.
        call_indexes[code] = _ensure_page(
            parent,
            CallIndexPage,
            slug="calls",
            locale=locale,
            source=call_indexes.get(ZH),
            stdout=stdout,
            title=CALL_INDEX[code]["title"],
            intro=CALL_INDEX[code]["intro"],
            show_in_menus=True,
        )
        indexes[code] = _ensure_page(
            parent,
            NewsIndexPage,
            slug="news",
            locale=locale,
            source=indexes.get(ZH),
            stdout=stdout,
            title=NEWS_INDEX[code]["title"],
            intro=NEWS_INDEX[code]["intro"],
            show_in_menus=True,
        )
        about = ABOUT[code]
        _ensure_page(
            parent,
            StandardPage,
            slug="about",
            locale=locale,
            source=StandardPage.objects.child_of(home).filter(slug="about").first()
            if code == EN
            else None,
            stdout=stdout,
            title=about["title"],
            intro=about["intro"],
            body=about["body"],
            show_in_menus=True,
        )

    for item in NEWS:
        source = None
        for locale in (zh, en):
            code = locale.language_code
            page = _ensure_page(
                indexes[code],
                NewsPage,
                slug=item.slug,
                locale=locale,
                source=source,
                stdout=stdout,
                title=item.title[code],
                date=item.date,
                intro=item.intro[code],
                body=_paragraphs(*item.body[code]),
            )
            source = source or page

    _build_call_pages(call_indexes, (zh, en), stdout)

    # Imported here: these modules reuse this one's _ensure_page.
    from cms.demo_open_data import build_open_data_page
    from cms.demo_projects import build_project_pages

    # Chinese first: the English pages take their translation key from the Chinese ones.
    for parent in (home, home_en):
        code = parent.locale.language_code
        build_project_pages(parent, code, stdout=stdout)
        build_open_data_page(parent, code, stdout=stdout)

    contact = ContactSettings.load()
    if not (contact.email or contact.phone or contact.address):
        contact.email = "hello@yichuang.local"
        contact.phone = "0513-8500 0000"
        contact.address = "江苏省南通市崇川区社会组织孵化基地"
        contact.save()

    # The home page's translations decide which URL prefixes route to which tree.
    Site.clear_site_root_paths_cache()
    return home
