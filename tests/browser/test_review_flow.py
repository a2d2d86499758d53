"""Issue #4 end to end in real Chromium: the officer draws the panels, reviewer1 declares a conflict
and loses sight of that application, the panels score, the officer closes the review, ranks by the
call's trimmed mean, recommends within the budget and publishes the 公示; an anonymous visitor
objects, the officer answers, and approval waits until the window has closed.

The database is touched only while every browser is idle (between steps): the other reviewers'
scores go through the same services the review form uses, and the 公示 window is closed by moving
``closes_at`` into the past.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from grants.enums import LIVE_ASSIGNMENT_STATES, ApplicationState, AssignmentState, ObjectionState
from grants.models import (
    Application,
    ConflictRecord,
    Objection,
    PublicNotice,
    ReviewAssignment,
    RubricCriterion,
)
from grants.services import review_draw, review_scores
from grants.services.decisions import NOTICE_TIME_ZONE
from grants.services.review_scores import Entry
from tests.browser.test_pitch import log_in
from tests.factories import OrganisationFactory
from tests.grants.factories_review import in_review, make_reviewer, review_call

S = ApplicationState
A = AssignmentState
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}

# Each application's five totals as a share of every criterion's weight. 邻里守望 has one outlier
# (30): the trimmed mean drops it (90) where the plain mean (78) would rank it below 四点半课堂.
PANEL_SCORES = {
    "邻里守望·独居老人探访": (D("0.9"), D("0.9"), D("0.9"), D("0.9"), D("0.3")),
    "四点半课堂": (D("0.8"),) * 5,
    "社区花园": (D("0.7"),) * 5,
}
AMOUNTS = {"邻里守望·独居老人探访": "30000", "四点半课堂": "25000", "社区花园": "20000"}


def _context(chromium, viewport):
    context = chromium.new_context(viewport=viewport, locale="zh-CN")
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    return context, tab


def _scores(criteria, share: D) -> dict[int, D]:
    """Every criterion at ``share`` of its weight (on the 0.5 step: the shares are tenths)."""
    return {criterion.pk: (criterion.weight * share).quantize(D("0.5")) for criterion in criteria}


def _score_by_service(assignment: ReviewAssignment, criteria, share: D) -> None:
    """What a reviewer does on the form: sign the declaration, save the scores, submit."""
    reviewer = assignment.reviewer
    review_draw.declare_no_conflict(assignment=assignment, actor=reviewer)
    entries = {
        pk: Entry(score=score, comment="评分依据见项目书第三部分。")
        for pk, score in _scores(criteria, share).items()
    }
    review_scores.save_scores(
        assignment=assignment, actor=reviewer, entries=entries, comment="总体可行。"
    )
    review_scores.submit_scores(assignment=assignment, actor=reviewer)


def test_review_to_approval_with_conflict_ranking_gongshi_and_objection(
    live_server, chromium, page, screenshot, officer
):
    # given: a call (budget 60,000, trimmed mean by default) with three applications in review
    # and a pool of six experts
    call = review_call(
        title="2026年港闸区社区公益微创投",
        slug="gangzha-2026",
        budget=D("60000.00"),
        max_grant=D("30000.00"),
    )
    assert call.aggregation_method == "trimmed_mean"
    applications = {}
    for number, (title, amount) in enumerate(AMOUNTS.items()):
        application = in_review(
            call,
            title=title,
            budget=False,
            organisation=OrganisationFactory(name=f"港闸区第{number + 1}社会工作服务中心"),
        )
        Application.objects.filter(pk=application.pk).update(requested_amount=D(amount))
        applications[title] = application
    for n in range(1, 7):
        make_reviewer(f"reviewer{n}", display_name=f"专家{n}", expertise=["elderly"])
    criteria = list(RubricCriterion.objects.filter(call=call).order_by("position"))
    base = live_server.url
    panels_url = f"{base}{reverse('grants:review_panels', args=[call.pk])}"
    ranking_url = f"{base}{reverse('grants:call_ranking', args=[call.pk])}"
    notice_url = f"{base}{reverse('grants:decisions_notice', args=[call.pk])}"
    page.set_viewport_size(DESKTOP)

    # when: the officer draws five reviewers per application
    log_in(page, base, officer.username)
    page.goto(panels_url)
    page.fill("input[name=per_application]", "5")
    page.fill("input[name=seed]", "2026")
    page.locator("form.draw-form button[type=submit]").click()
    page.wait_for_url(panels_url)
    # then: every panel lists five reviewers
    for application in applications.values():
        assert page.locator(f"#panel-{application.pk} tr.assignment").count() == 5
    screenshot("01-officer-panels-drawn")

    # (browser idle) reviewer1 sits on at least two panels: 15 seats over 6 experts, load balanced
    mine = list(
        ReviewAssignment.objects.filter(reviewer__username="reviewer1")
        .select_related("application")
        .order_by("application_id")
    )
    assert len(mine) >= 2
    conflicted, scored = mine[0], mine[1]

    # when: reviewer1 opens the first from the dashboard on her phone and declares a conflict
    reviewer_context, reviewer_tab = _context(chromium, PHONE)
    try:
        log_in(reviewer_tab, base, "reviewer1")
        dashboard_url = f"{base}{reverse('grants:review_dashboard')}"
        reviewer_tab.goto(dashboard_url)
        reviewer_tab.locator(f"#assignment-{conflicted.pk} h2 a").click()
        reviewer_tab.wait_for_url(re.compile(r"/declaration/$"))
        screenshot("02-reviewer1-declaration", reviewer_tab)
        conflict_form = reviewer_tab.locator("form:has(input[name=declare][value=conflict])")
        conflict_form.locator("textarea[name=note]").fill("本人两年前曾担任该机构的项目顾问。")
        conflict_form.locator("button[type=submit]").click()
        reviewer_tab.wait_for_url(dashboard_url)
        # then: the application is gone from her dashboard and its pages are a 404
        assert reviewer_tab.locator(f"#assignment-{conflicted.pk}").count() == 0
        assert conflicted.application.title not in reviewer_tab.locator("main").inner_text()
        screenshot("03-reviewer1-dashboard-after-conflict", reviewer_tab)
        for name in ("grants:review_assignment", "grants:review_declaration"):
            response = reviewer_tab.goto(f"{base}{reverse(name, args=[conflicted.pk])}")
            assert response.status == 404, name
            assert conflicted.application.title not in reviewer_tab.content()
        screenshot("04-reviewer1-conflicted-404", reviewer_tab)

        # when: she signs the declaration for the other one and scores it on the form
        reviewer_tab.goto(dashboard_url)
        reviewer_tab.locator(f"#assignment-{scored.pk} h2 a").click()
        reviewer_tab.locator(
            "form:has(input[name=declare][value=no_conflict]) button[type=submit]"
        ).click()
        review_url = f"{base}{reverse('grants:review_assignment', args=[scored.pk])}"
        reviewer_tab.wait_for_url(review_url)
        share = PANEL_SCORES[scored.application.title][0]
        for pk, value in _scores(criteria, share).items():
            reviewer_tab.fill(f"input[name=score_{pk}]", str(value))
        reviewer_tab.fill("textarea[name=comment]", "需求调研扎实，执行团队经验丰富。")
        screenshot("05-reviewer1-scores", reviewer_tab)
        reviewer_tab.locator("#score-form button[name=submit]").click()
        reviewer_tab.wait_for_url(review_url)
        # then: the sheet is submitted with its total and can no longer be edited
        expected_total = f"{share * 100:.2f}"
        reviewer_tab.locator(".score-sheet .badge--success").filter(
            has_text=expected_total
        ).wait_for()
        assert reviewer_tab.locator("#score-form").count() == 0
        screenshot("06-reviewer1-submitted", reviewer_tab)
    finally:
        reviewer_context.close()

    # (browser idle) the conflict is on the register and a replacement took reviewer1's seat;
    # every other reviewer on every panel scores through the review services
    assert ConflictRecord.objects.filter(
        reviewer__username="reviewer1", application=conflicted.application
    ).exists()
    assert (
        Application.objects.get(pk=conflicted.application_id)
        .assignments.filter(state__in=LIVE_ASSIGNMENT_STATES)
        .exclude(reviewer__username="reviewer1")
        .count()
        == 5
    )
    for title, application in applications.items():
        shares = list(PANEL_SCORES[title])
        live = list(
            ReviewAssignment.objects.filter(
                application=application, state__in=LIVE_ASSIGNMENT_STATES
            )
            .select_related("reviewer", "application__call")
            .order_by("pk")
        )
        assert len(live) == 5
        if application.pk == scored.application_id:
            shares.pop(0)  # reviewer1 gave the first score in the browser
            live = [a for a in live if a.pk != scored.pk]
        for assignment, share in zip(live, shares, strict=True):
            _score_by_service(assignment, criteria, share)

    # when: the officer closes the review of all three with the bulk action
    list_url = f"{base}{reverse('grants:officer_call_applications', args=[call.pk])}"
    page.goto(list_url)
    for checkbox in page.locator("input[name=ids]").all():
        checkbox.check()
    page.select_option("#bulk-action", "finish_review")
    page.locator("fieldset.bulk-actions button[type=submit]").click()
    page.wait_for_url(list_url)
    assert page.locator(".messages li.success").count() == 3
    assert page.locator(".messages li.error").count() == 0
    screenshot("07-officer-review-closed")

    # ... opens the ranking: the call's trimmed mean puts 邻里守望 first despite the outlier
    page.goto(ranking_url)
    assert page.locator(".methods li.method--selected a[href='?method=trimmed_mean']").count() == 1
    rows = page.locator("table.ranking tbody tr")
    assert "邻里守望" in rows.nth(0).inner_text()
    assert "四点半课堂" in rows.nth(1).inner_text()
    assert "社区花园" in rows.nth(2).inner_text()
    screenshot("08-officer-ranking-trimmed-mean")

    # ... and recommends within the budget: 30,000 + 25,000 fit in 60,000, 20,000 more does not
    page.locator("form[action$='/ranking/recommend/'] button").click()
    page.wait_for_url(ranking_url)
    recommended = {
        title: page.locator(f"#application-{application.pk}.recommended").count() == 1
        for title, application in applications.items()
    }
    assert recommended == {"邻里守望·独居老人探访": True, "四点半课堂": True, "社区花园": False}
    screenshot("09-officer-recommended")

    # ... and publishes the 公示
    mail.outbox.clear()
    page.goto(notice_url)
    page.fill("input[name=contact]", "0513-83512345")
    page.locator("input[name=confirm]").check()
    screenshot("10-officer-notice-preview")
    page.locator("main form.action-form button[type=submit]").click()
    page.wait_for_url(notice_url)
    page.locator("section[aria-labelledby=objections-heading]").wait_for()
    screenshot("11-officer-notice-published")

    # when: an anonymous visitor (own browser context) objects to 邻里守望 and confirms the code
    target = applications["邻里守望·独居老人探访"]
    visitor_context, visitor = _context(chromium, PHONE)
    try:
        visitor.goto(f"{base}{reverse('grants:public_notice', args=[call.slug])}")
        card = visitor.locator(f"#project-{target.pk}")
        card.locator("summary").click()
        card.locator("input[name$=-name]").fill("刘晓红")
        card.locator("input[name$=-contact]").fill("lxh@example.org")
        card.locator("textarea[name$=-body]").fill("该机构去年的同类项目服务人数存在虚报，请核实。")
        screenshot("12-visitor-objection", visitor)
        card.locator("button[type=submit]").click()
        visitor.wait_for_url(re.compile(r"/gongshi/objections/"))
        code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
        visitor.locator("input[name=code]").fill(code)
        visitor.locator("form.verify-form button[type=submit]").click()
        visitor.locator(f"main a.button[href$='/gongshi/{call.slug}/']").wait_for()
        assert visitor.locator("form.verify-form").count() == 0
        screenshot("13-visitor-objection-received", visitor)
    finally:
        visitor_context.close()

    # then: the officer sees it open and answers it in writing
    page.goto(notice_url)
    row = page.locator("table.objections tr.objection--open")
    assert "刘晓红" in row.inner_text()
    # approval is not offered while an objection is open and the window runs
    assert (
        page.locator(
            f"form[action$='{reverse('grants:decisions_approve', args=[call.pk])}']"
        ).count()
        == 0
    )
    row.locator("a").click()
    page.locator("input[name=outcome][value=dismiss]").check()
    page.fill("textarea[name=answer]", "经核查服务台账与社区登记，服务人数真实，异议不成立。")
    screenshot("14-officer-answer")
    page.locator("form[action$='/resolve/'] button[type=submit]").click()
    page.wait_for_url(notice_url)
    assert page.locator("table.objections tr.objection--dismissed").count() == 1
    screenshot("15-officer-objection-answered")

    # when: the window is still open, approval is refused with a clear message: no button on the
    # page, and a request from a stale tab (the approve form posted anyway) is turned away
    approve_path = reverse("grants:decisions_approve", args=[call.pk])
    assert page.locator(f"form[action$='{approve_path}']").count() == 0
    assert page.locator("section[aria-labelledby=notice-heading] p.muted").count() == 1
    notice = PublicNotice.objects.get(call=call)
    closes = timezone.localtime(notice.closes_at, NOTICE_TIME_ZONE).strftime("%Y-%m-%d %H:%M")
    page.evaluate(
        """path => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = path;
            const token = document.querySelector("input[name=csrfmiddlewaretoken]").cloneNode();
            form.appendChild(token);
            document.body.appendChild(form);
            form.submit();
        }""",
        approve_path,
    )
    page.wait_for_url(notice_url)
    refusal = page.locator(".messages li.error")
    assert closes in refusal.inner_text()
    screenshot("16-officer-approval-refused")
    assert Application.objects.get(pk=target.pk).state == S.PUBLIC_NOTICE

    # (browser idle) the 公示 window closes: published eight days ago, closed a minute ago (a
    # notice must close after it is published)
    now = timezone.now()
    PublicNotice.objects.filter(pk=notice.pk).update(
        published_at=now - timedelta(days=8), closes_at=now - timedelta(minutes=1)
    )

    # when: the officer comes back and approves
    page.goto(notice_url)
    page.locator(f"form[action$='{approve_path}'] button[type=submit]").click()
    page.wait_for_url(notice_url)
    assert page.locator(".messages li.success").count() == 2
    screenshot("17-officer-approved")

    # then: the two recommended projects are approved, the objection answered
    states = {
        title: Application.objects.get(pk=application.pk).state
        for title, application in applications.items()
    }
    assert states["邻里守望·独居老人探访"] == S.APPROVED
    assert states["四点半课堂"] == S.APPROVED
    assert states["社区花园"] == S.REJECTED  # not recommended: rejected when the 公示 went out
    objection = Objection.objects.get()
    assert objection.state == ObjectionState.DISMISSED
    assert objection.answer.startswith("经核查服务台账")
    assert ReviewAssignment.objects.get(pk=conflicted.pk).state == A.CONFLICTED  # never reopened
