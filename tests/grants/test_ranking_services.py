"""recommend_call and the officer's inputs: budget, quotas, overrides, adjustments, permissions."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone, translation
from django_fsm_log.models import StateLog

from grants.enums import AggregationMethod, ApplicationState, ReviewRound, SheetStatus
from grants.models import Application, Notification, ReviewSummary
from grants.recommendation import Reason
from grants.selectors_ranking import call_ranking
from grants.services import ranking as svc
from grants.services.errors import TransitionRefused
from tests.factories import OrganisationFactory
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


def refresh(*applications):
    return [Application.objects.get(pk=a.pk) for a in applications]


def last_log(application):
    return StateLog.objects.for_(application).order_by("-pk").first()


def test_recommends_down_the_ranking_and_skips_what_does_not_fit(officer, panel):
    # given a budget of 100,000 and four reviewed applications (5 scores each, trimmed mean)
    call = ranking_call(budget=D("100000"))
    a = scored(call, panel, (90, 90, 90, 90, 90), amount="50000")  # 90.00
    b = scored(call, panel, (80, 85, 85, 85, 99), amount="40000")  # drop 80, 99 → 85.00
    c = scored(call, panel, (80, 80, 80, 80, 80), amount="30000")  # 80.00: 10,000 left → skipped
    d = scored(call, panel, (70, 70, 70, 70, 70), amount="10000")  # 70.00: fits the 10,000 left

    # when the officer recommends within the budget
    result = svc.recommend_call(call=call, actor=officer)

    # then A, B and D are recommended, C is not, and the budget is spent exactly
    a, b, c, d = refresh(a, b, c, d)
    assert [x.state for x in (a, b, c, d)] == [
        S.RECOMMENDED, S.RECOMMENDED, S.NOT_RECOMMENDED, S.RECOMMENDED,
    ]  # fmt: skip
    assert (result.recommended, result.not_recommended, result.changed) == (3, 1, 4)
    assert result.ranking.recommendation.remaining == D("0")
    # the summaries keep the scores and ranks
    summaries = {s.application_id: s for s in ReviewSummary.objects.all()}
    assert [(summaries[x.pk].rank, summaries[x.pk].final_score) for x in (a, b, c, d)] == [
        (1, D("90.00")), (2, D("85.00")), (3, D("80.00")), (4, D("70.00")),
    ]  # fmt: skip
    assert summaries[b.pk].expert_score == D("85.00")
    # each transition is logged with the reason, by the officer
    log = last_log(c)
    assert log.by == officer and log.transition == "not_recommend"
    assert "3" in log.description and "80.00" in log.description


def test_recommending_tells_staff_only(officer, applicant, organisation, panel):
    call = ranking_call()
    application = scored(call, panel, (80, 80, 80), organisation=organisation)
    svc.recommend_call(call=call, actor=officer)
    # the applicant learns the outcome when the 公示 is published, not now
    assert not Notification.objects.filter(recipient=applicant).exists()
    assert refresh(application)[0].state == S.RECOMMENDED


def test_running_it_twice_changes_nothing_the_second_time(officer, panel):
    call = ranking_call()
    application = scored(call, panel, (80, 80, 80))
    svc.recommend_call(call=call, actor=officer)
    logs = StateLog.objects.for_(application).count()
    result = svc.recommend_call(call=call, actor=officer)
    assert result.changed == 0
    assert StateLog.objects.for_(application).count() == logs


def test_refused_while_an_application_is_still_in_review(officer, panel):
    call = ranking_call()
    done = scored(call, panel, (80, 80, 80))
    waiting = scored(call, panel, (90,), state=S.IN_REVIEW)
    with pytest.raises(TransitionRefused) as refused:
        svc.recommend_call(call=call, actor=officer)
    assert waiting.reference in str(refused.value)
    assert refresh(done)[0].state == S.REVIEWED
    assert not ReviewSummary.objects.exists()


def test_refused_when_no_application_finished_its_review(officer):
    call = ranking_call()
    with pytest.raises(TransitionRefused):
        svc.recommend_call(call=call, actor=officer)


@pytest.mark.parametrize("persona", ["reviewer", "outsider", "applicant"])
def test_only_officers_recommend(request, persona, panel):
    call = ranking_call()
    application = scored(call, panel, (80, 80, 80))
    with pytest.raises(PermissionDenied):
        svc.recommend_call(call=call, actor=request.getfixturevalue(persona))
    assert refresh(application)[0].state == S.REVIEWED


def test_application_without_scores_is_not_recommended(officer, panel):
    call = ranking_call()
    scored_one = scored(call, panel, (70, 70, 70))
    unscored = reviewed(call)
    svc.recommend_call(call=call, actor=officer)
    scored_one, unscored = refresh(scored_one, unscored)
    assert (scored_one.state, unscored.state) == (S.RECOMMENDED, S.NOT_RECOMMENDED)
    summary = ReviewSummary.objects.get(application=unscored)
    assert (summary.rank, summary.final_score) == (None, None)


def test_only_current_submitted_sheets_count(officer, panel):
    call = ranking_call()
    application = scored(call, panel, (80, 90))
    # a superseded version of reviewer 1's sheet and a draft of reviewer 3 do not count
    sheet = application.assignments.get(reviewer=panel[0]).sheets.get()
    sheet.is_current = False
    sheet.save()
    new = sheet.__class__.objects.create(
        assignment=sheet.assignment, version=2, status=SheetStatus.SUBMITTED, total=D("60"),
        submitted_at=timezone.now(), supersedes=sheet,
    )  # fmt: skip
    draft = score(application, panel[2], 10)
    draft.status, draft.submitted_at = SheetStatus.DRAFT, None
    draft.save()
    row = call_ranking(call=call).rows[0]
    # (60 + 90) / 2 = 75.00
    assert row.ranking.written.by_reviewer == {panel[0].pk: D("60.00"), panel[1].pk: D("90.00")}
    assert row.final == D("75.00")
    assert new.pk


def test_quotas_per_theme_and_district(officer, panel):
    district = OrganisationFactory().district
    call = ranking_call(
        budget=D("200000"),
        theme_quotas={"elderly": 50000},
        district_quotas={str(district.pk): 20000},
    )
    a = scored(call, panel, (95, 95, 95), amount="40000", theme="elderly")
    b = scored(call, panel, (90, 90, 90), amount="30000", theme="elderly")  # elderly 70k > 50k
    c = scored(
        call, panel, (85, 85, 85), amount="25000", theme="youth",
        organisation=OrganisationFactory(district=district),
    )  # district 25k > 20k  # fmt: skip
    d = scored(call, panel, (80, 80, 80), amount="10000", theme="elderly")  # elderly 50k
    svc.recommend_call(call=call, actor=officer)
    assert [x.state for x in refresh(a, b, c, d)] == [
        S.RECOMMENDED, S.NOT_RECOMMENDED, S.NOT_RECOMMENDED, S.RECOMMENDED,
    ]  # fmt: skip
    outcomes = call_ranking(call=call).recommendation.outcomes
    assert (outcomes[b.pk].reason, outcomes[c.pk].reason) == (
        Reason.THEME_QUOTA,
        Reason.DISTRICT_QUOTA,
    )


def test_published_applications_keep_their_money(officer, panel):
    call = ranking_call(budget=D("100000"))
    published = scored(call, panel, (60, 60, 60), amount="70000", state=S.PUBLIC_NOTICE)
    top = scored(call, panel, (95, 95, 95), amount="40000")  # 30,000 left: does not fit
    small = scored(call, panel, (70, 70, 70), amount="30000")
    svc.recommend_call(call=call, actor=officer)
    published, top, small = refresh(published, top, small)
    assert (published.state, top.state, small.state) == (
        S.PUBLIC_NOTICE,
        S.NOT_RECOMMENDED,
        S.RECOMMENDED,
    )


# --- Overrides -----------------------------------------------------------------------------------


def test_override_is_kept_when_recommending_again(officer, panel):
    # given a budget of 60,000: A (50k) is recommended, B (30k) is not
    call = ranking_call(budget=D("60000"))
    a = scored(call, panel, (90, 90, 90), amount="50000")
    b = scored(call, panel, (80, 80, 80), amount="30000")
    svc.recommend_call(call=call, actor=officer)
    assert [x.state for x in refresh(a, b)] == [S.RECOMMENDED, S.NOT_RECOMMENDED]

    # when the officer forces B in with a reason and recommends again
    summary = svc.override_recommendation(
        application=b, actor=officer, recommended=True, reason="填补该街道养老服务空白"
    )
    assert (summary.override_recommended, summary.overridden_by) == (True, officer)
    assert [x.state for x in refresh(a, b)] == [S.RECOMMENDED, S.NOT_RECOMMENDED]  # not yet
    svc.recommend_call(call=call, actor=officer)

    # then B is recommended first and A (50k) no longer fits the 30k left
    a, b = refresh(a, b)
    assert (a.state, b.state) == (S.NOT_RECOMMENDED, S.RECOMMENDED)
    assert "填补该街道养老服务空白" in last_log(b).description
    # and a further run keeps the override
    result = svc.recommend_call(call=call, actor=officer)
    assert result.changed == 0
    assert ReviewSummary.objects.get(application=b).override_recommended is True

    # when the officer returns to the ranking, the next run follows it again
    svc.override_recommendation(application=b, actor=officer, recommended=None, reason="")
    svc.recommend_call(call=call, actor=officer)
    assert [x.state for x in refresh(a, b)] == [S.RECOMMENDED, S.NOT_RECOMMENDED]
    assert ReviewSummary.objects.get(application=b).override_reason == ""


def test_forcing_out_the_top_application(officer, panel):
    call = ranking_call(budget=D("60000"))
    a = scored(call, panel, (90, 90, 90), amount="50000")
    b = scored(call, panel, (80, 80, 80), amount="30000")
    svc.override_recommendation(
        application=a, actor=officer, recommended=False, reason="机构存在未结项目"
    )
    svc.recommend_call(call=call, actor=officer)
    assert [x.state for x in refresh(a, b)] == [S.NOT_RECOMMENDED, S.RECOMMENDED]
    assert last_log(a).description.endswith("机构存在未结项目")


def test_override_needs_a_reason(officer, panel):
    call = ranking_call()
    application = scored(call, panel, (80,))
    with translation.override("en"), pytest.raises(ValidationError) as error:
        svc.override_recommendation(
            application=application, actor=officer, recommended=True, reason="  "
        )
    assert "reason" in error.value.message_dict
    assert not ReviewSummary.objects.exists()


def test_override_refused_before_the_review_is_finished(officer, panel):
    call = ranking_call()
    application = scored(call, panel, (80,), state=S.IN_REVIEW)
    with pytest.raises(TransitionRefused):
        svc.override_recommendation(
            application=application, actor=officer, recommended=True, reason="理由"
        )


@pytest.mark.parametrize("persona", ["reviewer", "outsider"])
def test_only_officers_override_or_adjust(request, persona, panel):
    call = ranking_call()
    application = scored(call, panel, (80,))
    user = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        svc.override_recommendation(
            application=application, actor=user, recommended=True, reason="理由"
        )
    with pytest.raises(PermissionDenied):
        svc.set_adjustments(application=application, actor=user, public_score="90")
    with pytest.raises(PermissionDenied):
        svc.set_aggregation_method(call=call, actor=user, method="mean")


# --- Public score, bonus and method ---------------------------------------------------------------


def test_public_score_and_bonus_change_the_ranking(officer, panel):
    # given a 7:3 expert:public weighting
    call = ranking_call(expert_weight_percent=70)
    a = scored(call, panel, (90, 90, 90))
    b = scored(call, panel, (85, 85, 85))
    svc.set_adjustments(application=a, actor=officer, public_score="60")
    svc.set_adjustments(
        application=b, actor=officer, public_score="90", bonus_points="2", bonus_reason="社区推荐"
    )
    rows = call_ranking(call=call).rows
    # A: 90 × 0.7 + 60 × 0.3 = 63 + 18 = 81.00; B: 85 × 0.7 + 90 × 0.3 + 2 = 59.5 + 27 + 2 = 88.50
    assert [(row.application.pk, row.final) for row in rows] == [
        (b.pk, D("88.50")),
        (a.pk, D("81.00")),
    ]


def test_missing_public_score_leaves_no_final_score_when_it_counts(officer, panel):
    call = ranking_call(expert_weight_percent=70)
    scored(call, panel, (90, 90, 90))
    assert call_ranking(call=call).rows[0].final is None


@pytest.mark.parametrize(
    "values, field",
    [
        ({"public_score": "101"}, "public_score"),
        ({"public_score": "abc"}, "public_score"),
        ({"bonus_points": "25", "bonus_reason": "x"}, "bonus_points"),
        ({"bonus_points": "3"}, "bonus_reason"),
        ({"bonus_points": "1.234", "bonus_reason": "x"}, "bonus_points"),
    ],
)
def test_adjustments_are_validated(officer, panel, values, field):
    call = ranking_call()
    application = scored(call, panel, (80,))
    with pytest.raises(ValidationError) as error:
        svc.set_adjustments(application=application, actor=officer, **values)
    assert field in error.value.message_dict


def test_adjustments_refused_once_published(officer, panel):
    call = ranking_call()
    application = scored(call, panel, (80,), state=S.PUBLIC_NOTICE)
    with pytest.raises(TransitionRefused):
        svc.set_adjustments(application=application, actor=officer, public_score="80")


def test_changing_the_method_changes_the_recommendation(officer, panel):
    # X: four 90s and one 20 (mean 76, trimmed 90); Y: five 82s. Budget for one project only.
    call = ranking_call(budget=D("30000"))
    x = scored(call, panel, (90, 90, 90, 90, 20), amount="20000")
    y = scored(call, panel, (82, 82, 82, 82, 82), amount="20000")
    svc.recommend_call(call=call, actor=officer)
    assert [a.state for a in refresh(x, y)] == [S.RECOMMENDED, S.NOT_RECOMMENDED]
    svc.set_aggregation_method(call=call, actor=officer, method=AggregationMethod.MEAN)
    svc.recommend_call(call=call, actor=officer)
    assert [a.state for a in refresh(x, y)] == [S.NOT_RECOMMENDED, S.RECOMMENDED]


def test_method_cannot_change_after_publication(officer, panel):
    call = ranking_call()
    scored(call, panel, (80,), state=S.PUBLIC_NOTICE)
    with pytest.raises(TransitionRefused):
        svc.set_aggregation_method(call=call, actor=officer, method="median")
    with pytest.raises(ValidationError):
        svc.set_aggregation_method(call=call, actor=officer, method="best")


def test_pitch_round_counts_with_its_weight(officer, panel):
    # pitch share 40%: A written 90, pitch 60 → 90 × 0.6 + 60 × 0.4 = 78.00;
    #                  B written 80, pitch 85 → 48 + 34 = 82.00
    call = ranking_call(has_defense=True, pitch_weight_percent=40)
    a = scored(call, panel, (90, 90, 90))
    b = scored(call, panel, (80, 80, 80))
    for reviewer in panel[:3]:
        score(a, reviewer, 60, round=ReviewRound.PITCH)
        score(b, reviewer, 85, round=ReviewRound.PITCH)
    rows = call_ranking(call=call).rows
    assert [(row.application.pk, row.final) for row in rows] == [
        (b.pk, D("82.00")),
        (a.pk, D("78.00")),
    ]


# --- Two officers at once (PostgreSQL row locks) -------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_officers_recommending_at_once_give_one_result(officer, panel):
    from tests.grants._officer_helpers import make_officer

    # given a call ready for recommendation and two officers
    other = make_officer("olivia")
    call = ranking_call(budget=D("60000"))
    applications = [scored(call, panel, (90 - n, 90 - n, 90 - n), amount="20000") for n in range(5)]

    def run(actor):
        try:
            return svc.recommend_call(call=call, actor=actor).changed
        finally:
            connection.close()

    # when both press "Recommend within budget" at the same moment
    with ThreadPoolExecutor(max_workers=2) as pool:
        changed = sorted(pool.map(run, [officer, other]))

    # then the call lock serialises them: the first changes all five, the second nothing
    assert changed == [0, 5]
    states = [a.state for a in refresh(*applications)]
    assert states == [S.RECOMMENDED] * 3 + [S.NOT_RECOMMENDED] * 2
    assert StateLog.objects.filter(object_id__in=[str(a.pk) for a in applications]).count() == 5
    assert timezone.now() - timedelta(minutes=5) < ReviewSummary.objects.first().computed_at
