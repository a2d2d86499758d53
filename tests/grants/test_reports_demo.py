"""The reports demo: plans on every funded project, accepted reports with evidence, one overdue
(ngo1's), one awaiting review, one returned with a comment; idempotent."""

from __future__ import annotations

from io import StringIO

import pytest
from django.utils import timezone

from grants import demo_reports
from grants.models.reports import Milestone, Report, ReportEvidence, ReportState
from grants.selectors_reports import beneficiaries_reached, indicator_progress, overdue_reports

pytestmark = pytest.mark.django_db
R = ReportState


@pytest.fixture
def projects(db):
    import importlib

    for name in ("incubator.demo", "accounts.demo", "grants.demo", "grants.demo_projects"):
        importlib.import_module(name).seed(stdout=StringIO())


def test_the_demo_writes_plans_and_reports(projects):
    out = StringIO()

    demo_reports.seed(stdout=out)

    assert "报告 reports: 7 milestone plans, 11 reports created" in out.getvalue()
    overdue = list(overdue_reports())
    assert [m.application.title for m in overdue] == ["“邻里+”楼道长守望探访计划"]
    assert overdue[0].due_on < timezone.localdate()
    waiting = Report.objects.get(state=R.SUBMITTED)
    assert waiting.application.title == "学田社区长者助餐与健康管理"
    assert not waiting.is_late
    returned = Report.objects.get(state=R.RETURNED)
    assert returned.application.title == "残障人士社区融合与辅助就业"
    assert "签到表" in returned.return_comment
    accepted = Report.objects.filter(state=R.ACCEPTED)
    assert accepted.count() == 9
    for report in accepted:
        assert report.activities.exists() and report.volunteers.exists()
        assert report.evidence.get().file.read(8) == b"\x89PNG\r\n\x1a\n"
        assert all(row["reached"] != "" for row in report.indicator_values)
        assert report.activities.filter(held_on__gt=timezone.localdate()).count() == 0
    final = Report.objects.get(application__title="困境家庭儿童“微心愿”圆梦行动", kind="final")
    progress = indicator_progress([final.application_id])[final.application_id]
    assert progress[0]["reached"] >= progress[0]["target"]
    assert beneficiaries_reached([final.application_id])[final.application_id] > 0


def test_running_the_demo_again_creates_nothing(projects):
    demo_reports.seed(stdout=StringIO())
    counts = (Milestone.objects.count(), Report.objects.count(), ReportEvidence.objects.count())
    out = StringIO()

    demo_reports.seed(stdout=out)

    assert "报告 reports: 0 milestone plans, 0 reports created" in out.getvalue()
    assert counts == (
        Milestone.objects.count(),
        Report.objects.count(),
        ReportEvidence.objects.count(),
    )
