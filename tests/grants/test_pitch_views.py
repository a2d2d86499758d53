"""路演 pages: who may open them, what a conflicted judge never sees, the timer, scores shown only
once tallied, and the officer's schedule."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from grants.enums import ApplicationState, AssignmentState, ConflictSource
from grants.models import ConflictRecord, PitchSession, PitchSlot, ReviewAssignment
from grants.selectors_pitch import pitch_timer
from grants.services import pitch as svc
from tests.grants.factories_pitch import (
    criterion_scores,
    in_review,
    judge_scores,
    make_judge,
    make_session,
    pitch_call,
)

S = ApplicationState
A = AssignmentState
pytestmark = pytest.mark.django_db


@pytest.fixture
def call():
    return pitch_call(title="2026年姑苏区社区公益创投")


@pytest.fixture
def judges():
    return [make_judge("judge_a", "甲评委"), make_judge("judge_b", "乙评委")]


@pytest.fixture
def setup(call, judges, officer):
    """Two pitches; judge_b is in the conflict register for the second. The first is on stage."""
    clean = in_review(call, title="长者食堂互助项目")
    conflicted = in_review(call, title="青少年课后托管项目")
    ConflictRecord.objects.create(
        reviewer=judges[1],
        application=conflicted,
        source=ConflictSource.DETECTED,
        reason="曾任顾问",
    )
    session = make_session(call, judges, officer=officer)
    first, second = svc.schedule_pitches(
        session=session, applications=[clean, conflicted], actor=officer
    )
    svc.start_slot(slot=first, actor=officer)
    return {"session": session, "first": first, "second": second, "conflicted": conflicted}


def urls(setup):
    session, slot = setup["session"], setup["first"]
    return {
        "officer": [
            reverse("grants:pitch_sessions", args=[session.call_id]),
            reverse("grants:pitch_session", args=[session.pk]),
        ],
        "officer_post": [
            reverse("grants:pitch_schedule", args=[session.pk]),
            reverse("grants:pitch_move", args=[session.pk, slot.pk]),
            reverse("grants:pitch_start", args=[session.pk, slot.pk]),
        ],
        "judge": [
            reverse("grants:pitch_judge", args=[session.pk]),
            reverse("grants:pitch_judge_slot", args=[session.pk, slot.pk]),
            reverse("grants:pitch_judge_live", args=[session.pk]),
        ],
        "judge_post": [
            reverse("grants:pitch_declare", args=[session.pk, slot.pk]),
            reverse("grants:pitch_score", args=[session.pk, slot.pk]),
        ],
        "board": [
            reverse("grants:pitch_board", args=[session.pk]),
            reverse("grants:pitch_board_live", args=[session.pk]),
        ],
    }


# --- Who may open what --------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client, setup):
    for group in urls(setup).values():
        for url in group:
            response = client.post(url) if "/slots/" in url and "review" in url else client.get(url)
            assert response.status_code == 302, url
            assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("persona", ["outsider", "applicant", "reviewer"])
def test_people_outside_the_session_get_403_on_officer_pages_and_404_on_the_rest(
    client, setup, persona, request
):
    client.force_login(request.getfixturevalue(persona))
    paths = urls(setup)
    for url in paths["officer"]:
        assert client.get(url).status_code == 403, url
    for url in paths["officer_post"]:
        assert client.post(url).status_code == 403, url
    for url in paths["judge"] + paths["board"]:
        assert client.get(url).status_code == 404, url
    for url in paths["judge_post"]:
        assert client.post(url).status_code == 404, url
    setup["first"].refresh_from_db()
    assert not ReviewAssignment.objects.filter(state=A.ACCEPTED).exists()


def test_judges_may_not_use_the_officer_pages(client, setup, judges):
    client.force_login(judges[0])
    paths = urls(setup)
    for url in paths["officer"]:
        assert client.get(url).status_code == 403
    for url in paths["officer_post"]:
        assert client.post(url).status_code == 403
    for url in paths["judge"] + paths["board"]:
        assert client.get(url).status_code == 200, url


def test_officers_watch_the_board_but_the_judging_screen_is_for_judges(client, setup, officer):
    client.force_login(officer)
    paths = urls(setup)
    for url in paths["board"] + paths["officer"]:
        assert client.get(url).status_code == 200, url
    for url in paths["judge"]:
        assert client.get(url).status_code == 403, url


def test_a_judge_who_lost_the_reviewer_role_is_out(client, setup, judges):
    judges[0].memberships.update(is_active=False)
    client.force_login(judges[0])
    assert client.get(urls(setup)["judge"][0]).status_code == 404


# --- Conflicts ----------------------------------------------------------------------------------


def test_a_conflicted_judge_never_sees_that_pitchs_application(client, setup, officer, judges):
    conflicted, second = setup["conflicted"], setup["second"]
    svc.start_slot(slot=second, actor=officer)  # the conflicted pitch is now on stage
    session = setup["session"]
    client.force_login(judges[1])

    pages = [
        reverse("grants:pitch_judge", args=[session.pk]),
        reverse("grants:pitch_judge_slot", args=[session.pk, second.pk]),
        reverse("grants:pitch_judge_live", args=[session.pk]) + f"?slot={second.pk}",
        reverse("grants:pitch_board", args=[session.pk]),
        reverse("grants:pitch_board_live", args=[session.pk]),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        assert conflicted.title not in text, url
        assert conflicted.organisation.name not in text, url
        assert conflicted.reference not in text, url
    for name in ("grants:pitch_declare", "grants:pitch_score"):
        assert client.post(reverse(name, args=[session.pk, second.pk])).status_code == 404


def test_the_other_judge_and_the_officer_see_it(client, setup, officer, judges):
    conflicted, session = setup["conflicted"], setup["session"]
    for user in (judges[0], officer):
        client.force_login(user)
        response = client.get(reverse("grants:pitch_board", args=[session.pk]))
        assert conflicted.title in response.content.decode()


def test_the_officer_page_shows_which_judge_is_not_assigned_because_of_a_conflict(
    client, setup, officer
):
    client.cookies["django_language"] = "en"
    client.force_login(officer)
    text = client.get(reverse("grants:pitch_session", args=[setup["session"].pk])).content.decode()
    assert "Conflict: not assigned" in text
    assert "not assigned to" in text and setup["conflicted"].reference in text


# --- Judging through the pages ------------------------------------------------------------------


def test_a_judge_declares_with_one_tap_scores_and_submits(client, setup, judges, call):
    session, slot = setup["session"], setup["first"]
    client.cookies["django_language"] = "en"
    client.force_login(judges[0])
    page = client.get(reverse("grants:pitch_judge", args=[session.pk])).content.decode()
    assert "I have no conflict: start scoring" in page
    assert "Your scores" not in page

    response = client.post(
        reverse("grants:pitch_declare", args=[session.pk, slot.pk]), {"decision": "no_conflict"}
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Your scores" in page and "需求分析：请根据路演陈述和答辩评分。" in page

    scores = criterion_scores(call, 80)
    data = {f"score_{pk}": str(value) for pk, value in scores.items()}
    data["submit"] = "1"
    response = client.post(reverse("grants:pitch_score", args=[session.pk, slot.pk]), data)
    assert response.status_code == 302
    assignment = ReviewAssignment.objects.get(reviewer=judges[0], application=slot.application)
    assert assignment.state == A.SUBMITTED
    page = client.get(response["Location"]).content.decode()
    assert "Your total: 80.00 / 100" in page


def test_invalid_scores_come_back_with_field_errors_in_the_users_language(
    client, setup, judges, call
):
    session, slot = setup["session"], setup["first"]
    judge_scores(slot, judges[0], 80, submit=False)
    client.cookies["django_language"] = "en"
    client.force_login(judges[0])
    need = call.rubric.get(label="需求分析")

    response = client.post(
        reverse("grants:pitch_score", args=[session.pk, slot.pk]),
        {f"score_{need.pk}": "55", "submit": "1"},
    )

    assert response.status_code == 400
    form = response.context["form"]
    assert f"score_{need.pk}" in form.errors
    assert "Nothing was submitted" in response.content.decode()
    assert ReviewAssignment.objects.get(reviewer=judges[0], application=slot.application).state == (
        A.ACCEPTED
    )


def test_declaring_a_conflict_on_the_screen_sits_the_judge_out(client, setup, judges):
    session, slot = setup["session"], setup["first"]
    client.force_login(judges[1])
    client.post(
        reverse("grants:pitch_declare", args=[session.pk, slot.pk]),
        {"decision": "conflict", "text": "曾为该机构做过督导"},
    )
    assert ConflictRecord.objects.filter(reviewer=judges[1], application=slot.application).exists()
    text = client.get(reverse("grants:pitch_judge", args=[session.pk])).content.decode()
    assert slot.application.title not in text


# --- Timer --------------------------------------------------------------------------------------


def test_timer_counts_the_pitch_then_questions_then_time_up(setup):
    slot, session = setup["first"], setup["session"]
    start = slot.started_at = timezone.now()

    def label(seconds):
        with translation.override("en"):
            return pitch_timer(
                slot=slot, session=session, now=start + timedelta(seconds=seconds)
            ).label

    assert label(0) == "Pitch 08:00"
    assert label(61) == "Pitch 06:59"
    assert label(0.5) == "Pitch 08:00"  # a countdown rounds up
    assert label(8 * 60) == "Q&A 07:00"
    assert label(14 * 60 + 59) == "Q&A 00:01"
    assert label(15 * 60) == "Time up"


def test_the_server_sends_the_start_time_so_every_phone_counts_the_same(client, setup, judges):
    slot = setup["first"]
    slot.refresh_from_db()
    client.force_login(judges[0])
    for url in (
        reverse("grants:pitch_judge", args=[setup["session"].pk]),
        reverse("grants:pitch_board_live", args=[setup["session"].pk]),
    ):
        text = client.get(url).content.decode()
        assert f'data-started="{slot.started_at.isoformat()}"' in text
        assert 'data-pitch="480"' in text and 'data-qa="420"' in text
        assert "data-now=" in text and "<script>" not in text


def test_the_live_panel_moves_a_judge_to_the_new_pitch_unless_they_are_scoring(
    client, setup, judges, officer
):
    session, first, second = setup["session"], setup["first"], setup["second"]
    live = reverse("grants:pitch_judge_live", args=[session.pk])
    client.force_login(judges[0])
    # given judge_a is on the first pitch's screen and has started scoring it
    judge_scores(first, judges[0], 80, submit=False)
    svc.start_slot(slot=second, actor=officer)

    # then the poll keeps the form and shows a link to the new pitch
    response = client.get(f"{live}?slot={first.pk}&follow=1", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "HX-Refresh" not in response
    assert reverse("grants:pitch_judge", args=[session.pk]) in response.content.decode()

    # when they have submitted, the screen follows the stage
    svc.save_pitch_scores(
        assignment=ReviewAssignment.objects.get(reviewer=judges[0], application=first.application),
        actor=judges[0], scores=criterion_scores(first.session.call, 80), submit=True,
    )  # fmt: skip
    response = client.get(f"{live}?slot={first.pk}&follow=1", HTTP_HX_REQUEST="true")
    assert response["HX-Refresh"] == "true"


# --- No partial scores --------------------------------------------------------------------------


def test_nobody_sees_a_score_until_the_last_judge_submits(client, setup, judges, officer):
    session, slot = setup["session"], setup["first"]
    board = reverse("grants:pitch_board_live", args=[session.pk])
    judge_scores(slot, judges[0], 80)

    for user in (officer, judges[1]):
        client.force_login(user)
        for url in (
            (board, reverse("grants:pitch_judge", args=[session.pk]))
            if user != officer
            else (board,)
        ):
            text = client.get(url).content.decode()
            assert "80.00" not in text and "80.0" not in text, (user, url)
            assert "data-tally" not in text
    client.force_login(officer)
    assert (
        "80.00"
        not in client.get(reverse("grants:pitch_session", args=[session.pk])).content.decode()
    )

    judge_scores(slot, judges[1], 90)

    for user in (officer, judges[0], judges[1]):
        client.force_login(user)
        text = client.get(board).content.decode()
        assert "data-tally>85.00<" in text, user
    client.force_login(officer)
    text = client.get(reverse("grants:pitch_session", args=[session.pk])).content.decode()
    assert "80.00" in text and "90.00" in text  # each judge's total, once announced


# --- The officer's pages ------------------------------------------------------------------------


def test_officer_creates_schedules_reorders_and_starts(client, call, judges, officer):
    applications = [in_review(call) for _ in range(3)]
    client.force_login(officer)

    response = client.post(
        reverse("grants:pitch_sessions", args=[call.pk]),
        {
            "title": "第一场路演",
            "place": "姑苏区社会组织服务中心",
            "starts_at": "2026-05-20T14:00",
            "pitch_minutes": "8",
            "qa_minutes": "7",
            "judges": [judge.pk for judge in judges],
        },
    )
    session = PitchSession.objects.get(call=call)
    assert response["Location"] == reverse("grants:pitch_session", args=[session.pk])
    assert client.get(response["Location"]).status_code == 200

    client.post(
        reverse("grants:pitch_schedule", args=[session.pk]),
        {"order": "reference", "applications": [a.pk for a in reversed(applications)]},
    )
    slots = list(PitchSlot.objects.filter(session=session).order_by("position"))
    assert [slot.application_id for slot in slots] == [a.pk for a in applications]
    assert [timezone.localtime(slot.starts_at).strftime("%H:%M") for slot in slots] == [
        "14:00", "14:17", "14:34",
    ]  # fmt: skip
    assert all(
        application.state == S.DEFENSE
        for application in type(applications[0]).objects.filter(pk__in=[a.pk for a in applications])
    )

    client.post(reverse("grants:pitch_move", args=[session.pk, slots[0].pk]), {"direction": "down"})
    order = list(
        PitchSlot.objects.filter(session=session)
        .order_by("position")
        .values_list("application", flat=True)
    )
    assert order == [applications[1].pk, applications[0].pk, applications[2].pk]

    client.post(reverse("grants:pitch_start", args=[session.pk, slots[2].pk]))
    assert PitchSlot.objects.get(pk=slots[2].pk).started_at is not None


def test_officer_sees_form_errors_in_their_language(client, call, officer):
    client.cookies["django_language"] = "en"
    client.force_login(officer)
    response = client.post(
        reverse("grants:pitch_sessions", args=[call.pk]),
        {"title": "", "starts_at": "soon", "pitch_minutes": "0", "qa_minutes": "7"},
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) >= {"title", "starts_at", "pitch_minutes"}
    assert "This field is required." in response.content.decode()


# --- Query counts (1 vs 30 pitches) -------------------------------------------------------------


def count_queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


def grow(session, officer, count):
    call = session.call
    svc.schedule_pitches(
        session=session, applications=[in_review(call) for _ in range(count)], actor=officer
    )


@pytest.mark.parametrize(
    ("who", "name"),
    [
        ("officer", "grants:pitch_board"),
        ("officer", "grants:pitch_board_live"),
        ("officer", "grants:pitch_session"),
        ("judge", "grants:pitch_judge"),
        ("judge", "grants:pitch_judge_live"),
    ],
)
def test_pitch_pages_run_the_same_queries_for_1_and_30_pitches(
    client, call, judges, officer, who, name, django_assert_max_num_queries
):
    session = make_session(call, judges, officer=officer)
    grow(session, officer, 1)
    first = PitchSlot.objects.get(session=session)
    svc.start_slot(slot=first, actor=officer)
    judge_scores(first, judges[0], 80, submit=False)
    client.force_login(officer if who == "officer" else judges[0])
    url = reverse(name, args=[session.pk])
    client.get(url)  # warm caches (content types, site settings)
    single = count_queries(client, url)

    grow(session, officer, 29)
    ConflictRecord.objects.create(
        reviewer=judges[0],
        application=PitchSlot.objects.get(session=session, position=30).application,
        source=ConflictSource.OFFICER,
        reason="测试",
    )

    with django_assert_max_num_queries(single):
        assert client.get(url).status_code == 200


def test_call_sessions_page_runs_the_same_queries_for_1_and_30_sessions(
    client, call, judges, officer, django_assert_max_num_queries
):
    make_session(call, judges, officer=officer)
    client.force_login(officer)
    url = reverse("grants:pitch_sessions", args=[call.pk])
    client.get(url)
    single = count_queries(client, url)
    for number in range(29):
        PitchSession.objects.create(
            call=call, title=f"第{number}场", starts_at=timezone.now(), place="报告厅"
        ).judges.set(judges)
    with django_assert_max_num_queries(single):
        response = client.get(url)
    assert response.content.decode().count("/board/") == 30


def test_tally_shown_is_rounded_to_two_places(setup, judges):
    judge_scores(setup["first"], judges[0], 70)
    judge_scores(setup["first"], judges[1], 80)
    setup["first"].refresh_from_db()
    assert setup["first"].tally == Decimal("75.00")


def test_officer_closes_the_review_of_announced_pitches_from_the_session_page(
    client, setup, judges, officer
):
    session, slot = setup["session"], setup["first"]
    judge_scores(slot, judges[0], 80)
    judge_scores(slot, judges[1], 90)
    client.force_login(officer)
    page = client.get(reverse("grants:pitch_session", args=[session.pk])).content.decode()
    assert 'name="action" value="finish_review"' in page
    assert f'name="ids" value="{slot.application_id}"' in page
    assert f'name="ids" value="{setup["second"].application_id}"' not in page  # not announced

    client.post(
        reverse("grants:officer_call_applications", args=[session.call_id]),
        {"action": "finish_review", "ids": [slot.application_id]},
    )

    slot.application.refresh_from_db()
    assert slot.application.state == S.REVIEWED
