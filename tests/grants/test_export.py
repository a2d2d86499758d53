"""The Excel export of a call's applications: every answer, the list's filters, constant queries."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from grants.enums import ApplicationState
from grants.models import CallForm
from tests.factories import CallFactory, CommunityFactory, OrganisationFactory
from tests.grants._officer_helpers import HARD_FAILURE, PASSED, SOFT_FLAG, bulk_submitted, submitted

S = ApplicationState
pytestmark = pytest.mark.django_db


@pytest.fixture
def call(db):
    return CallFactory(title="姑苏区社区微公益创投", themes=["elderly", "youth"])


def export(client, call, **params):
    response = client.get(reverse("grants:officer_export", args=[call.pk]), params)
    assert response.status_code == 200
    return response


def sheet_rows(response, index=0) -> list[dict]:
    workbook = load_workbook(BytesIO(response.content))
    sheet = workbook.worksheets[index]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


def header(msgid: str) -> str:
    """A column title as a Chinese reader sees it (the default language)."""
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def test_export_is_an_xlsx_download(client, officer, call):
    submitted(call)
    client.force_login(officer)

    response = export(client, call)

    assert (
        response["Content-Type"]
        == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"].startswith('attachment; filename="applications-')
    assert response["Content-Disposition"].endswith('.xlsx"')


def test_export_holds_every_answer_in_chinese(client, officer, call):
    # given an application that answered two versions of the call's questions
    old = CallForm.objects.create(
        call=call,
        version=1,
        questions=[{"key": "history", "label": "以往项目经验", "type": "textarea"}],
    )
    new = CallForm.objects.create(
        call=call,
        version=2,
        questions=[
            {"key": "volunteers", "label": "志愿者招募方式", "type": "textarea"},
            {"key": "insured", "label": "是否购买保险", "type": "yesno"},
        ],
    )
    community = CommunityFactory(name="虎丘社区")
    application = submitted(
        call,
        form=new,
        title="邻里守望·独居老人探访",
        theme="elderly",
        organisation=OrganisationFactory(name="姑苏区彩虹社工服务中心"),
        extra_answers={"volunteers": "社区微信群招募", "insured": True},
        team=[{"name": "李社工", "role": "social_worker", "qualification": "社会工作师"}],
        eligibility=[PASSED, SOFT_FLAG],
    )
    application.partner_communities.add(community)
    submitted(
        call, form=old, title="旧版本表单的申请", extra_answers={"history": "三年社区服务经验"}
    )
    client.force_login(officer)

    # when
    rows = sheet_rows(export(client, call, sort="organisation"))

    # then every section is there, with the extra questions under their labels
    row = next(
        r
        for r in rows
        if r["项目名称" if "项目名称" in r else "Project title"] == "邻里守望·独居老人探访"
    )
    values = {str(value) for value in row.values()}
    for text in (
        "姑苏区彩虹社工服务中心",
        "组织志愿者每周探访社区独居老人，提供陪伴、安全检查与应急联络。",
        "社区微信群招募",
        "虎丘社区",
        application.reference,
    ):
        assert text in values, text
    joined = "\n".join(values)
    assert "志愿者培训 (2026-03-01 – 2026-03-15): 探访技巧与安全" in joined
    assert "探访人次: 2400 人次" in joined
    assert "李社工" in joined
    assert SOFT_FLAG["reason"] in joined
    headers = set(row)
    assert {"志愿者招募方式", "是否购买保险", "以往项目经验"} <= headers
    other = next(r for r in rows if "三年社区服务经验" in r.values())
    assert other["志愿者招募方式"] in ("", None)


def test_export_has_budget_totals_and_the_lines(client, officer, call):
    submitted(call, title="预算项目")
    client.force_login(officer)
    response = export(client, call)

    (row,) = sheet_rows(response)
    assert row[header("Grant requested (yuan)")] == 20000
    assert row[header("Project budget (yuan)")] == 20000
    lines = sheet_rows(response, index=1)
    assert [line[header("Item")] for line in lines] == ["探访活动物资", "社工补贴"]
    assert sum(line[header("Grant (yuan)")] for line in lines) == 20000


def test_state_label_follows_the_users_language(client, officer, call):
    submitted(call, state=S.SCREENING)
    client.force_login(officer)

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    (english,) = sheet_rows(export(client, call))
    assert english["State"] == "Eligibility screening"

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    (chinese,) = sheet_rows(export(client, call))
    with translation.override("zh-hans"):
        assert set(chinese.values()) >= {str(S.SCREENING.label)}


def test_export_follows_the_lists_filters(client, officer, call):
    submitted(call, title="社区居家养老互助", eligibility=[HARD_FAILURE])
    submitted(call, title="青少年课后托管")
    client.force_login(officer)

    rows = sheet_rows(export(client, call, q="养老"))

    assert len(rows) == 1
    assert "社区居家养老互助" in rows[0].values()
    assert HARD_FAILURE["reason"] in "\n".join(str(v) for v in rows[0].values())


def test_applicant_text_that_looks_like_a_formula_stays_text(client, officer, call):
    submitted(call, title='=HYPERLINK("http://evil.example","点我")')
    client.force_login(officer)

    response = export(client, call)

    sheet = load_workbook(BytesIO(response.content)).worksheets[0]
    cells = [cell for cell in sheet[2] if cell.value == '=HYPERLINK("http://evil.example","点我")']
    assert len(cells) == 1
    assert cells[0].data_type == "s"


def test_export_uses_the_same_number_of_queries_for_1_and_100_applications(
    client, officer, call, organisation, django_assert_num_queries
):
    client.force_login(officer)
    bulk_submitted(call, organisation, 1)
    export(client, call)  # warm-up
    with CaptureQueriesContext(connection) as one:
        export(client, call)

    bulk_submitted(call, organisation, 99)

    with django_assert_num_queries(len(one)):
        response = export(client, call)
    assert len(sheet_rows(response)) == 100
    assert len(sheet_rows(response, index=1)) == 200
