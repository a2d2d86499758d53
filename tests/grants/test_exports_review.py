"""The Excel outputs of a review: the score summary (评分汇总表) and one score sheet per reviewer."""

from __future__ import annotations

from decimal import Decimal as D
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from grants.enums import ApplicationState, ReviewRound
from grants.exports_review import review_workbook
from grants.selectors_ranking import call_ranking, reviewer_sheets
from grants.services import ranking as svc
from tests.grants._ranking_helpers import make_reviewer, ranking_call, reviewed, score

S = ApplicationState
pytestmark = pytest.mark.django_db


@pytest.fixture
def panel(db):
    return [make_reviewer(f"expert{n}", f"专家{n}") for n in range(1, 6)]


def scored(call, panel, totals, **kwargs):
    application = reviewed(call, **kwargs)
    for reviewer, total in zip(panel, totals, strict=False):
        score(application, reviewer, total)
    return application


def rows(sheet):
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def workbook_for(call):
    criteria, sheets = reviewer_sheets(call=call)
    workbook = review_workbook(call_ranking(call=call), criteria=criteria, sheets=sheets)
    buffer = BytesIO()
    workbook.save(buffer)
    return load_workbook(BytesIO(buffer.getvalue()))


def test_summary_table_lists_the_ranking_with_every_method(officer, panel, organisation):
    # given a budget of 60,000 and two applications scored by five experts
    call = ranking_call(budget=D("60000"))
    a = scored(
        call,
        panel,
        (90, 90, 90, 90, 20),
        amount="30000",
        title="邻里守望",
        organisation=organisation,
    )
    b = scored(call, panel, (82, 82, 82, 82, 82), amount="40000", title="四点半课堂")
    svc.set_adjustments(application=b, actor=officer, bonus_points="1", bonus_reason="社区推荐")
    svc.recommend_call(call=call, actor=officer)

    # when the officer exports the summary in English
    with translation.override("en"):
        workbook = workbook_for(call)

    # then the first sheet is the summary, one row per application in rank order
    assert workbook.sheetnames[:2] == ["Score summary", "Method"]
    table = rows(workbook["Score summary"])
    header = table[0]
    assert header[:6] == [
        "Rank",
        "Reference",
        "Organisation",
        "Project title",
        "Theme",
        "Number of scores",
    ]
    column = {name: index for index, name in enumerate(header)}
    first, second, total = table[1], table[2], table[3]
    # A: trimmed (90 + 90 + 90) / 3 = 90; mean (360 + 20) / 5 = 76; median 90
    assert first[: column["Number of scores"] + 1] == [
        1, a.reference, organisation.name, "邻里守望", "Elderly care", 5,
    ]  # fmt: skip
    assert first[column["Mean"]] == 76
    assert first[column["Median"]] == 90
    assert first[column["Trimmed mean (drop highest and lowest)"]] == 90
    assert first[column["Final score"]] == 90
    assert first[column["Spread (max − min)"]] == 70
    assert first[column["Outlier reviewers"]] == "专家5"
    assert first[column["Recommended"]] == "Yes"
    assert first[column["Recommended amount (yuan)"]] == 30000
    # B: 82 + 1 bonus = 83; 40,000 does not fit the 30,000 left
    assert second[0] == 2
    assert second[column["Bonus points"]] == 1
    assert second[column["Final score"]] == 83
    assert second[column["Recommended"]] == "No"
    assert second[column["Recommended amount (yuan)"]] is None
    assert second[column["State"]] == "Not recommended"
    # the last row totals the recommended amounts
    assert total[column["Requested (yuan)"] - 1] == "Total recommended"
    assert total[column["Recommended amount (yuan)"]] == 30000

    # and the method sheet says how the scores were combined
    notes = dict(rows(workbook["Method"]))
    assert notes["Aggregation method"] == "Trimmed mean (drop highest and lowest)"
    assert notes["Budget (yuan)"] == 60000
    assert notes["Remaining (yuan)"] == 30000


def test_one_score_sheet_per_reviewer_with_criteria_by_application(officer, panel):
    call = ranking_call()
    a = scored(call, panel[:2], (80, 90), title="项目甲")
    b = scored(call, panel[:1], (60,), title="项目乙")
    with translation.override("en"):
        workbook = workbook_for(call)
    # 专家1 scored both, 专家2 only A; nobody else has a sheet
    assert workbook.sheetnames[2:] == ["专家1", "专家2"]
    sheet = rows(workbook["专家1"])
    assert sheet[0] == ["Criterion", "Weight", a.reference, b.reference]
    assert sheet[1] == ["Project title", None, "项目甲", "项目乙"]
    # criteria rows: the helper splits a total by weight (80 × 40% = 32; 60 × 40% = 24 …)
    assert sheet[2] == ["需求分析", 40, 32, 24]
    assert sheet[3] == ["项目设计", 35, 28, 21]
    assert sheet[4] == ["执行能力", 25, 20, 15]
    assert sheet[5] == ["Total (0–100)", 100, 80, 60]
    assert sheet[6] == ["Comment", None, "总分80", "总分60"]
    assert rows(workbook["专家2"])[0] == ["Criterion", "Weight", a.reference]


def test_pitch_scores_get_their_own_sheet_and_column(officer, panel):
    call = ranking_call(has_defense=True, pitch_weight_percent=50)
    application = scored(call, panel[:1], (80,))
    score(application, panel[0], 70, round=ReviewRound.PITCH)
    with translation.override("en"):
        workbook = workbook_for(call)
    assert workbook.sheetnames[2:] == ["专家1", "专家1 (pitch)"]
    header, first = rows(workbook["Score summary"])[:2]
    assert first[header.index("Live pitch (Trimmed mean (drop highest and lowest))")] == 70
    # (80 + 70) / 2 = 75
    assert first[header.index("Final score")] == 75


def test_sheet_names_are_made_valid_and_unique(panel):
    call = ranking_call()
    odd = [make_reviewer("odd1", "张/三:*?"), make_reviewer("odd2", "张/三:*?")]
    application = reviewed(call)
    for reviewer in odd:
        score(application, reviewer, 70)
    workbook = workbook_for(call)
    assert workbook.sheetnames[2:] == ["张_三___", "张_三___ 2"]


def test_applicant_text_starting_with_equals_stays_text(officer, panel):
    call = ranking_call()
    scored(call, panel[:1], (80,), title='=HYPERLINK("http://evil")')
    workbook = workbook_for(call)
    cell = workbook.worksheets[0].cell(row=2, column=4)
    assert cell.data_type == "s"
    assert cell.value.startswith("=HYPERLINK")


def test_download_from_the_ranking_page(client, officer, panel):
    call = ranking_call()
    scored(call, panel[:3], (80, 85, 90))
    client.force_login(officer)
    response = client.get(reverse("grants:ranking_export", args=[call.pk]) + "?method=median")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert f"scores-{call.pk}-" in response["Content-Disposition"]
    workbook = load_workbook(BytesIO(response.content))
    assert len(workbook.worksheets) == 5  # summary, method, three reviewers
