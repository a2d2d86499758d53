"""路演 in real Chromium at 375 px: the officer starts a pitch, two judges on their own phones
(separate browser contexts) declare and score it, and the room display shows the score only after
the second judge submits.

Everything in the database is set up before the first page opens; while the browsers work the test
only looks at the pages (with SQLite the live server and the test share one connection).
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from grants.models import RubricCriterion
from grants.services import pitch as svc
from tests.factories import PASSWORD
from tests.grants.factories_pitch import (
    criterion_scores,
    in_review,
    make_judge,
    make_officer,
    make_session,
    pitch_call,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
VIEWPORT = {"width": 375, "height": 812}
CLOCK = re.compile(r"\d\d:\d\d")


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}{reverse('account_login')}")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=login]) [type=submit]").click()
    page.wait_for_load_state()


def phone(chromium):
    context = chromium.new_context(viewport=VIEWPORT, locale="zh-CN")
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    return context, tab


def score_and_submit(tab, scores: dict[int, str]) -> None:
    """On the judging screen: sign the declaration with one tap, fill the rubric, submit."""
    tab.locator("button[name=decision][value=no_conflict]").click()
    tab.wait_for_load_state()
    for pk, value in scores.items():
        tab.fill(f"input[name=score_{pk}]", value)
    tab.locator("[data-pitch-total]").filter(has_text=re.compile(r"\d+\.\d\d")).wait_for()


def test_two_judges_score_a_pitch_and_the_board_shows_the_score_only_after_both(
    live_server, chromium, page, screenshot
):
    # given: a call with a live pitch, one application on the schedule, two judges
    call = pitch_call(title="2026年姑苏区为老助残公益创投")
    application = in_review(call, title="乐龄食堂·助餐送餐志愿服务")
    judges = [make_judge("judge_wang", "王建国"), make_judge("judge_zhao", "赵晓梅")]
    officer = make_officer("officer_chen")
    session = make_session(call, judges, officer=officer, title="为老助残项目路演（第一场）")
    svc.schedule_pitches(session=session, applications=[application], actor=officer)
    criteria = list(RubricCriterion.objects.filter(call=call).order_by("position"))
    first = {pk: str(value) for pk, value in criterion_scores(call, 80).items()}
    second = {pk: str(value) for pk, value in criterion_scores(call, 90).items()}
    base = live_server.url
    session_url = f"{base}{reverse('grants:pitch_session', args=[session.pk])}"
    board_url = f"{base}{reverse('grants:pitch_board', args=[session.pk])}"
    judge_url = f"{base}{reverse('grants:pitch_judge', args=[session.pk])}"
    assert len(criteria) == 3

    # when: the officer starts the pitch from the session page
    log_in(page, base, "officer_chen")
    page.goto(session_url)
    screenshot("01-officer-session")
    page.locator("form.pitch-next button").click()
    page.wait_for_load_state()
    screenshot("02-officer-started")

    # ... and opens the room display: the timer runs, no score yet
    page.goto(board_url)
    timer = page.locator("#pitch-board [data-pitch-timer]")
    timer.filter(has_text=CLOCK).wait_for()
    before = timer.inner_text()
    page.wait_for_timeout(1500)
    assert timer.inner_text() != before  # counting down in the browser
    assert page.locator("[data-tally]").count() == 0
    screenshot("03-board-before")

    # ... judge 王 scores on her phone
    context_a, judge_a = phone(chromium)
    context_b, judge_b = phone(chromium)
    try:
        log_in(judge_a, base, "judge_wang")
        judge_a.goto(judge_url)
        judge_a.get_by_text(application.title).first.wait_for()
        judge_a.locator("[data-pitch-timer]").filter(has_text=CLOCK).wait_for()
        screenshot("04-judge-a-declaration", judge_a)
        score_and_submit(judge_a, first)
        assert "80.00" in judge_a.locator("[data-pitch-total]").inner_text()
        screenshot("05-judge-a-scores", judge_a)
        judge_a.locator("button[name=submit]").click()
        judge_a.wait_for_load_state()
        judge_a.locator(".pitch-own-total").filter(has_text="80.00").wait_for()
        screenshot("06-judge-a-submitted", judge_a)

        # then: the board, polling every 3 s, still shows no score after one judge
        page.wait_for_timeout(3500)
        page.locator(".pitch-result__waiting").filter(has_text="1").wait_for()
        assert page.locator("[data-tally]").count() == 0
        assert "80" not in page.locator("#pitch-board .pitch-result").inner_text()
        screenshot("07-board-after-one-judge")

        # when: judge 赵 scores on her own phone and submits
        log_in(judge_b, base, "judge_zhao")
        judge_b.goto(judge_url)
        assert judge_b.locator("[data-tally]").count() == 0
        score_and_submit(judge_b, second)
        screenshot("08-judge-b-scores", judge_b)
        judge_b.locator("button[name=submit]").click()
        judge_b.wait_for_load_state()

        # then: the mean is announced on the room display and on both phones
        page.locator("#pitch-board [data-tally]").filter(has_text="85.00").wait_for(timeout=10_000)
        screenshot("09-board-announced")
        judge_b.locator("#pitch-live [data-tally]").filter(has_text="85.00").wait_for()
        screenshot("10-judge-b-announced", judge_b)
        judge_a.locator("#pitch-live [data-tally]").filter(has_text="85.00").wait_for(
            timeout=10_000
        )
        screenshot("11-judge-a-announced", judge_a)
        # nothing wider than the phone
        for tab in (page, judge_a, judge_b):
            width = tab.evaluate("document.documentElement.scrollWidth")
            assert width <= VIEWPORT["width"], width
    finally:
        context_a.close()
        context_b.close()
