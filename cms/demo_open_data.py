"""Demo transparency dashboard (信息公开): the page under each language's home, with its texts.

``build_open_data_page(home, language_code)`` is idempotent: it finds the page by parent, slug and
locale and never edits one that exists. The figures themselves come from the demo projects
(grants/demo_projects.py and the funding, finance, reports and feedback demos): nothing to seed here.
"""

from __future__ import annotations

from typing import TextIO

from cms.demo import _ensure_page
from cms.models import HomePage, TransparencyPage
from cms.public_urls import OPEN_DATA_SLUG

ZH = "zh-hans"

TEXTS = {
    ZH: {
        "title": "信息公开",
        "seo_title": "公益创投信息公开：资金、项目与成效",
        "search_description": (
            "按项目计划和年度公开公益创投资金的立项、拨付与使用，受益人数、志愿服务时长和"
            "居民满意度，可下载CSV和JSON数据。"
        ),
        "intro": (
            "<p>公益创投的每一笔资金都来自公共财政和社会捐赠。本页按项目计划和年度公开已签约项目"
            "的立项金额、已拨付金额和已使用金额，以及受益人数、志愿服务时长、居民满意度和评估等级，"
            "并按街道（区）、服务领域和机构类型分类汇总。</p>"
            "<p>所有数据均可下载为CSV（可用Excel打开）或JSON，也可通过开放接口获取。</p>"
        ),
        "methodology": (
            "<ul>"
            "<li><b>统计范围</b>：已签订资助协议的项目（实施中、评估中、已结项和已终止的项目），"
            "按征集公告的开始年份归入年度；未立项、审核中或未通过的申报不公开。</li>"
            "<li><b>立项金额</b>：已生效资助协议的资助金额；<b>已拨付</b>：已付款的分期拨款；"
            "<b>已退回</b>：已追回的结余资金；<b>已使用</b>：经审核认可的支出。金额单位为人民币元，"
            "均取自资金台账。</li>"
            "<li><b>受益人数</b>取各项目最近一次通过审核的报告；<b>志愿服务时长</b>为已通过报告中"
            "登记的时长之和。</li>"
            "<li><b>居民满意度</b>为群众评议中已验证、未被排除的评价的平均星级（1–5星），"
            "多个项目合并时按评价数加权。</li>"
            "<li><b>地区</b>为承接机构登记所在的区；<b>机构类型</b>为社会团体、民办非企业单位、"
            "基金会或社区社会组织。</li>"
            "<li>本页不公开任何个人信息：不含联系人、电话、评审专家或志愿者、居民的个人资料。</li>"
            "</ul>"
        ),
    },
    "en": {
        "title": "Open data",
        "seo_title": "Open data: money, projects and results of the venture philanthropy programmes",
        "search_description": (
            "Money awarded, paid and spent per programme and year, with beneficiaries, volunteer "
            "hours and resident satisfaction; CSV and JSON downloads."
        ),
        "intro": (
            "<p>Every yuan of venture philanthropy comes from public funds or donations. This page "
            "shows, per programme and year, the money awarded to, paid to and spent by the funded "
            "projects, the people they reached, the volunteer hours, the residents' satisfaction "
            "and the evaluation grades, by district, theme and type of organisation.</p>"
            "<p>Every figure can be downloaded as CSV (opens in Excel) or JSON, or read from the "
            "open API.</p>"
        ),
        "methodology": (
            "<ul>"
            "<li><b>Scope</b>: projects with a signed grant agreement (running, in evaluation, "
            "completed or terminated), counted in the year their call opened. Applications that "
            "were not funded are never shown.</li>"
            "<li><b>Awarded</b>: the grant of the accepted agreements; <b>paid</b>: the tranches "
            "paid; <b>returned</b>: unspent money recovered; <b>spent</b>: expenses accepted by the "
            "officers. Yuan (CNY), all taken from the money ledger.</li>"
            "<li><b>Beneficiaries</b>: from each project's latest accepted report; <b>volunteer "
            "hours</b>: the hours in its accepted reports.</li>"
            "<li><b>Resident satisfaction</b>: the average stars (1–5) of verified, not excluded "
            "resident ratings; several projects together are weighted by their number of "
            "ratings.</li>"
            "<li><b>District</b>: where the organisation is registered; <b>organisation type</b>: "
            "social group, social service organisation, foundation or community organisation.</li>"
            "<li>No personal data is published: no contact persons, phone numbers, reviewers, "
            "volunteers or residents.</li>"
            "</ul>"
        ),
    },
}


def build_open_data_page(
    home: HomePage, language_code: str, *, stdout: TextIO | None = None
) -> TransparencyPage:
    """The transparency page under ``home`` in its language; created if missing, else untouched.

    The English page translates the Chinese one (same translation key) when that exists, so the
    language switcher links them.
    """
    texts = TEXTS.get(language_code, TEXTS["en"])
    source = None
    if language_code != ZH:
        source = TransparencyPage.objects.filter(
            slug=OPEN_DATA_SLUG, locale__language_code=ZH
        ).first()
    return _ensure_page(
        home,
        TransparencyPage,
        slug=OPEN_DATA_SLUG,
        locale=home.locale,
        source=source,
        stdout=stdout,
        title=texts["title"],
        seo_title=texts["seo_title"],
        search_description=texts["search_description"],
        intro=texts["intro"],
        methodology=texts["methodology"],
    )
