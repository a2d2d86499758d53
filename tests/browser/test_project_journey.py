"""Issue #6, "Done when": a funded project's whole journey in one test, in real Chromium.

ngo1 submits the mid-term report with photos; the officer returns it with a comment; ngo1 reads the
comment, fixes the report and resubmits; the officer accepts it. The evaluator (who reads the
accepted report and its photos) evaluates the mid-term and passes it; tranche 2 becomes releasable
(the officer's tranche table shows it, finance is offered to prepare its payment). The officer
opens the resident feedback page; a resident leaves feedback on a phone (375×740) and confirms with
the SMS code; the officer's feedback page and the evaluator's final evaluation count it. The final
evaluation passes and the project is completed.

Each person has their own browser context (their own phone). Everything in the database is set
up before the first page opens; while the browsers work the test only looks at the pages (and at
the SMS outbox of the logging backend, as a resident looks at their phone), and checks the
database after the last page.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django_fsm_log.models import StateLog
from playwright.sync_api import expect

from grants.enums import ApplicationState, TrancheStatus
from grants.enums_evaluations import Grade
from grants.models import Application, Evaluation, Tranche
from grants.models.feedback import FeedbackResponse, FeedbackState
from grants.models.reports import Report, ReportKind, ReportState
from grants.services.objections import LoggingSmsBackend
from tests.browser.test_evaluations import evaluate, phone, start_evaluation
from tests.browser.test_reports import log_in
from tests.factories import OrganisationFactory
from tests.grants.factories_evaluations import funded_project, make_evaluator
from tests.grants.factories_funding import make_finance
from tests.grants.factories_reports import make_officer, member_of, milestone_of, png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
S = ApplicationState
R = ReportState
TITLE = "“邻里+”楼道长守望探访计划"
NARRATIVE = "本期完成楼道长集中培训两期，培育楼道长32名，开展守望探访860次。"
FIXED_NARRATIVE = (
    "本期完成楼道长集中培训两期，培育楼道长32名（钟楼、和平桥、五一三个社区各小区均有），"
    "开展守望探访860次；每次培训均有签到。"
)
RETURN_COMMENT = "请补充活动签到情况说明，并写明32名楼道长来自哪几个小区。"
RESIDENT_PHONE = "13912345678"
RESIDENT_COMMENT = "楼道长每周都来敲门看望我母亲，很贴心"
RESIDENT_VIEWPORT = {"width": 375, "height": 740}


def shown(choice) -> str:
    """The label of a state or grade as the zh-hans pages show it (whether translated or not)."""
    with translation.override("zh-hans"):
        return str(choice.label)


def test_a_funded_project_goes_from_mid_term_report_to_completed(
    live_server, chromium, page, screenshot, tmp_path
):
    # given: ngo1's running project (tranche 1 paid) with its milestone plan, ngo1's member, the
    # officer, the third-party evaluator and finance
    organisation = OrganisationFactory(name="崇川区邻里守望社会工作服务中心")
    project = funded_project(
        title=TITLE,
        organisation=organisation,
        indicators=[
            {"name": "探访人次", "kind": "output", "target": "2400", "unit": "人次"},
            {"name": "服务对象满意度", "kind": "outcome", "target": "90", "unit": "%"},
        ],
    )
    member_of(organisation, "ngo1")
    make_officer("officer")
    evaluator = make_evaluator("evaluator_xu", "徐立新")
    make_finance("finance_zhou")
    milestone = milestone_of(project, ReportKind.MID_TERM)
    indicator_count = len(milestone.indicator_targets)
    tranche_2, tranche_3 = (project.tranches.get(number=number) for number in (2, 3))
    photos = []
    for name, colour in (("楼道长培训.png", (200, 80, 60)), ("入户探访.png", (60, 120, 200))):
        photos.append(tmp_path / name)
        photos[-1].write_bytes(png_bytes(colour))
    held_on = (timezone.localdate() - timedelta(days=20)).isoformat()
    LoggingSmsBackend.outbox.clear()
    base = live_server.url
    member_url = f"{base}{reverse('grants:application_detail', args=[project.pk])}"
    officer_url = f"{base}{reverse('grants:officer_application', args=[project.pk])}"

    officer_context, officer = phone(chromium)
    evaluator_context, evaluator_tab = phone(chromium)
    finance_context, finance = phone(chromium)
    resident_context = chromium.new_context(viewport=RESIDENT_VIEWPORT, locale="zh-CN")
    resident = resident_context.new_page()
    resident.set_default_timeout(20_000)
    try:
        # when: ngo1's member writes the mid-term report and uploads two photos
        log_in(page, base, "ngo1")
        page.goto(member_url)
        page.locator(f"form[action$='/me/milestones/{milestone.pk}/report/'] button").click()
        expect(page.locator("#report-form")).to_be_visible()
        expect(page.locator(".report-state--draft")).to_have_text(shown(R.DRAFT))
        page.fill("textarea[name=narrative]", NARRATIVE)
        for index in range(indicator_count):
            page.fill(f"input[name=indicator_{index}]", "60")
        page.fill("input[name=beneficiaries_reached]", "180")
        page.fill("input[name=activities-0-held_on]", held_on)
        page.fill("input[name=activities-0-place]", "钟楼社区党群服务中心")
        page.fill("input[name=activities-0-description]", "楼道长集中培训（第一期）")
        page.fill("input[name=activities-0-participants]", "32")
        for uploaded, picture in enumerate(photos, start=1):
            # uploading saves the draft with everything typed so far
            page.select_option("select[name=kind]", "photo")
            page.set_input_files("input[name=file]", str(picture))
            page.locator("button[name=upload]").click()
            expect(page.locator(".evidence-list img.evidence-thumb")).to_have_count(uploaded)
        expect(page.locator("textarea[name=narrative]")).to_have_value(NARRATIVE)
        screenshot("01-ngo1-draft-with-photos")

        # ...and submits it
        page.locator("button[name=submit]").click()
        expect(page.locator("#reports .report-state--submitted")).to_have_text(shown(R.SUBMITTED))
        screenshot("02-ngo1-submitted")

        # then: the officer finds it on the project page and returns it with a comment
        log_in(officer, base, "officer")
        officer.goto(officer_url)
        officer.locator("#reports a.button").click()
        expect(officer.locator(".evidence-list img")).to_have_count(2)
        expect(officer.locator(".report-state--submitted")).to_have_text(shown(R.SUBMITTED))
        officer.fill("textarea[name=comment]", RETURN_COMMENT)
        officer.locator("button[name=action][value=return]").click()
        expect(officer.locator(".report-state--returned")).to_have_text(shown(R.RETURNED))
        screenshot("03-officer-returned", officer)

        # ngo1 sees it returned, reads the officer's comment, fixes the report and resubmits
        page.goto(member_url)
        expect(page.locator("#reports .report-state--returned")).to_have_text(shown(R.RETURNED))
        page.locator("#reports a.button").click()
        expect(page.locator("#return-comment")).to_contain_text(RETURN_COMMENT)
        expect(page.locator(".evidence-list img.evidence-thumb")).to_have_count(2)
        screenshot("04-ngo1-reads-comment")
        page.fill("textarea[name=narrative]", FIXED_NARRATIVE)
        page.locator("button[name=submit]").click()
        expect(page.locator("#reports .report-state--submitted")).to_have_text(shown(R.SUBMITTED))
        screenshot("05-ngo1-resubmitted")

        # the officer reads the fixed report and accepts it; ngo1 sees it accepted
        officer.reload()
        expect(officer.locator(".report-state--submitted")).to_have_text(shown(R.SUBMITTED))
        expect(officer.get_by_text("每次培训均有签到").first).to_be_visible()
        officer.locator("button[name=action][value=accept]").click()
        expect(officer.locator(".report-state--accepted")).to_have_text(shown(R.ACCEPTED))
        screenshot("06-officer-accepted", officer)
        page.goto(member_url)
        expect(page.locator("#reports .report-state--accepted")).to_have_text(shown(R.ACCEPTED))
        screenshot("07-ngo1-sees-accepted")

        # when: the officer starts the mid-term evaluation and assigns the evaluator
        officer.goto(officer_url)
        start_evaluation(officer, evaluator.pk)
        expect(officer.locator("span.state--mid_term").first).to_have_text(shown(S.MID_TERM))
        expect(officer.locator("section.evaluations-panel")).to_contain_text("徐立新")
        screenshot("08-officer-starts-mid-term", officer)

        # the evaluator reads the accepted report with its two photos
        log_in(evaluator_tab, base, "evaluator_xu")
        evaluator_tab.goto(f"{base}{reverse('grants:evaluations_workspace')}")
        evaluator_tab.locator(".evaluation-item h2 a").first.click()
        reports = evaluator_tab.locator("#reports")
        expect(reports.locator(".report-state--accepted")).to_have_text(shown(R.ACCEPTED))
        expect(reports.locator(".evidence-links li")).to_have_count(2)
        screenshot("09-evaluator-reads-report", evaluator_tab)

        # ...records a site visit, scores 82 and submits: passed, graded "good"
        evaluate(
            evaluator_tab,
            base,
            scores=(25, 16, 16, 25),
            findings="楼道长培训扎实，探访台账完整；建议加强对失能老人家庭的跟进。",
            total="82.00",
            shoot=lambda tab: screenshot("10-evaluator-mid-term-sheet", tab),
        )
        result = evaluator_tab.locator(".evaluation-result")
        expect(result.locator(".evaluation-result__grade strong")).to_have_text(shown(Grade.GOOD))
        expect(result).to_contain_text("82.00")
        expect(evaluator_tab.locator("#evaluation-form")).to_have_count(0)  # sealed
        screenshot("11-evaluator-mid-term-passed", evaluator_tab)

        # then: the project runs again and tranche 2 is releasable on the officer's page...
        officer.goto(officer_url)
        expect(officer.locator("#tranche-2 .tranche-status--releasable")).to_have_text(
            shown(TrancheStatus.RELEASABLE)
        )
        expect(officer.locator("#tranche-3 .tranche-status--releasable")).to_have_count(0)
        expect(officer.locator(".state--active").first).to_have_text(shown(S.ACTIVE))
        panel = officer.locator("section.evaluations-panel")
        expect(panel.locator(".evaluation-result__grade strong")).to_have_text(shown(Grade.GOOD))
        screenshot("12-officer-tranche-2-releasable", officer)

        # ...and finance is offered to prepare its payment (tranche 3 is not offered yet)
        log_in(finance, base, "finance_zhou")
        finance.goto(f"{base}{reverse('grants:funding_workspace')}")
        row = finance.locator(f"#releasable-{tranche_2.pk}")
        expect(row).to_contain_text(TITLE)
        expect(row.locator("form.inline-prepare button[type=submit]")).to_be_visible()
        expect(finance.locator(f"#releasable-{tranche_3.pk}")).to_have_count(0)
        screenshot("13-finance-offered-tranche-2", finance)

        # when: the officer opens the resident feedback page and prints its link
        officer.locator("section.feedback-panel form button[type=submit]").click()
        link = officer.locator("section.feedback-link a").first
        expect(link).to_be_visible()
        feedback_path = urlsplit(link.get_attribute("href")).path
        expect(officer.locator("[data-feedback-count]")).to_have_text("0")
        screenshot("14-officer-opens-feedback", officer)

        # a resident opens the link on a small phone: five stars, a comment, their number
        resident.goto(f"{base}{feedback_path}")
        expect(resident.get_by_role("heading", name=TITLE)).to_be_visible()
        assert resident.evaluate("document.documentElement.scrollWidth") <= 375
        screenshot("15-resident-form", resident)
        resident.locator("label.stars__star[for=id_satisfaction_0]").click()
        expect(resident.locator("#id_satisfaction_0")).to_be_checked()
        resident.locator("label[for=id_attended_0]").click()
        resident.fill("textarea[name=comment]", RESIDENT_COMMENT)
        resident.fill("input[name=phone]", RESIDENT_PHONE)
        resident.locator("button.feedback-submit").click()
        expect(resident.locator("input[name=code]")).to_be_visible()
        screenshot("16-resident-code", resident)

        # ...the code arrives by SMS; they type it and are thanked
        number, message = LoggingSmsBackend.outbox[-1]
        assert number == RESIDENT_PHONE
        code = re.search(r"\b(\d{6})\b", message).group(1)
        assert RESIDENT_PHONE not in resident.content()
        resident.fill("input[name=code]", code)
        resident.locator("form.verify-form button[type=submit]").click()
        expect(resident.locator(".feedback-thanks h1")).to_be_visible()
        screenshot("17-resident-thanked", resident)

        # then: the officer's feedback page counts it, without the resident's number
        officer.reload()
        expect(officer.locator("[data-feedback-count]")).to_have_text("1")
        expect(officer.get_by_text(RESIDENT_COMMENT).first).to_be_visible()
        assert RESIDENT_PHONE not in officer.content()
        screenshot("18-officer-feedback-counted", officer)

        # when: the officer starts the final evaluation with the same evaluator
        officer.goto(officer_url)
        start_evaluation(officer, evaluator.pk)
        expect(officer.locator("span.state--final_evaluation").first).to_have_text(
            shown(S.FINAL_EVALUATION)
        )
        screenshot("19-officer-starts-final", officer)

        # the evaluator's final evaluation page counts the resident's response
        evaluator_tab.goto(f"{base}{reverse('grants:evaluations_workspace')}")
        evaluator_tab.locator(".evaluation-item h2 a").first.click()
        feedback = evaluator_tab.locator("section.feedback-panel")
        expect(feedback.locator("[data-feedback-count]")).to_have_text("1")
        expect(feedback).to_contain_text(RESIDENT_COMMENT)
        assert RESIDENT_PHONE not in evaluator_tab.content()
        screenshot("20-evaluator-sees-feedback", evaluator_tab)

        # ...and passes it with 92 points: "excellent"
        evaluate(
            evaluator_tab,
            base,
            scores=(28, 18, 18, 28),
            findings="各项指标全面完成，居民评议满意，财务规范，建议评为优秀项目。",
            total="92.00",
        )
        result = evaluator_tab.locator(".evaluation-result")
        expect(result.locator(".evaluation-result__grade strong")).to_have_text(
            shown(Grade.EXCELLENT)
        )
        screenshot("21-evaluator-final-passed", evaluator_tab)

        # then: the project is completed for the officer (tranche 3 releasable) and for ngo1
        officer.goto(officer_url)
        expect(officer.locator("span.state--completed").first).to_have_text(shown(S.COMPLETED))
        expect(officer.locator("#tranche-3 .tranche-status--releasable")).to_be_visible()
        screenshot("22-officer-completed", officer)
        page.goto(member_url)
        expect(page.locator("p.status .badge")).to_have_text(shown(S.COMPLETED))
        screenshot("23-ngo1-completed")
    finally:
        for context in (officer_context, evaluator_context, finance_context, resident_context):
            context.close()

    # and in the database: the report's history, both evaluations, the tranches, the response
    report = Report.objects.get(milestone=milestone)
    assert report.state == R.ACCEPTED
    assert report.narrative == FIXED_NARRATIVE
    assert report.return_comment == RETURN_COMMENT
    assert sorted(report.evidence.values_list("original_name", flat=True)) == sorted(
        picture.name for picture in photos
    )
    assert list(
        StateLog.objects.filter(object_id=report.pk, content_type__model="report")
        .order_by("timestamp", "pk")
        .values_list("transition", flat=True)
    ) == ["submit", "return_for_changes", "submit", "accept"]
    assert list(
        Evaluation.objects.filter(application=project)
        .order_by("created_at", "pk")
        .values_list("kind", "grade", "passed")
    ) == [("mid_term", Grade.GOOD, True), ("final", Grade.EXCELLENT, True)]
    assert list(
        Tranche.objects.filter(application=project)
        .order_by("number")
        .values_list("status", flat=True)
    ) == [TrancheStatus.PAID, TrancheStatus.RELEASABLE, TrancheStatus.RELEASABLE]
    assert Application.objects.get(pk=project.pk).state == S.COMPLETED
    response = FeedbackResponse.objects.get(application=project)
    assert (response.state, response.satisfaction) == (FeedbackState.COUNTED, 5)
