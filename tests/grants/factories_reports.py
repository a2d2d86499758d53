"""Test set-up for milestone plans and reports.

A funded project is an application put straight into a funded state with an accepted agreement
(the funding area's services are tested there); plans and reports then go through this area's
services, so the tests see what users would.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from accounts.enums import Role
from grants.enums import AgreementState, ApplicationState
from grants.models import Agreement, Application
from grants.models.reports import EvidenceKind, Milestone, Report, ReportKind
from grants.services import reports as svc
from incubator.working_days import add_months
from tests.factories import ApplicationFactory, CallFactory, MembershipFactory, UserFactory

S = ApplicationState
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png_bytes(colour=(200, 80, 60)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def photo(name: str = "探访活动.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def make_officer(username: str = "oscar_r"):
    user = UserFactory(username=username, display_name="陈官员")
    MembershipFactory(user=user, organisation=None, role=Role.OFFICER)
    return user


def make_evaluator(username: str = "eva"):
    user = UserFactory(username=username, display_name="第三方评估员")
    MembershipFactory(user=user, organisation=None, role=Role.EVALUATOR)
    return user


def assign_evaluator(application: Application, evaluator, kind: str = "mid_term"):
    """Record ``evaluator`` on an evaluation of the project (the evaluation area's model)."""
    from grants.models import Evaluation

    return Evaluation.objects.create(application=application, kind=kind, evaluator=evaluator)


def member_of(organisation, username: str = "amy"):
    user = UserFactory(username=username, display_name="王社工")
    MembershipFactory(user=user, organisation=organisation, role=Role.APPLICANT)
    return user


def funded_project(
    *,
    state: str = S.ACTIVE,
    starts_on: date | None = None,
    months: int = 12,
    agreement: bool = True,
    **kwargs,
) -> Application:
    """A project in ``state`` with an accepted agreement from ``starts_on`` for ``months``."""
    call = kwargs.pop("call", None) or CallFactory(
        opens_at=timezone.now() - timedelta(days=200),
        closes_at=timezone.now() - timedelta(days=150),
    )
    kwargs.setdefault(
        "indicators",
        [
            {"name": "探访人次", "kind": "output", "target": "2400", "unit": "人次"},
            {"name": "服务对象满意度", "kind": "outcome", "target": "90", "unit": "%"},
        ],
    )
    application = ApplicationFactory(call=call, **kwargs)
    Application.objects.filter(pk=application.pk).update(state=state)
    if agreement:
        starts_on = starts_on or timezone.localdate() - timedelta(days=30)
        Agreement.objects.create(
            application=application,
            state=AgreementState.ACCEPTED,
            number=f"T-{application.pk:05d}",
            award_amount=Decimal("20000.00"),
            starts_on=starts_on,
            ends_on=add_months(starts_on, months),
        )
    return Application.objects.select_related("call__programme", "organisation").get(
        pk=application.pk
    )


def plan(application: Application) -> list[Milestone]:
    return svc.create_default_plan(application=application)


def milestone_of(application: Application, kind: str = ReportKind.MID_TERM) -> Milestone:
    plan(application)
    return Milestone.objects.filter(application=application, kind=kind).order_by("due_on").first()


def complete_report(report: Report, actor, *, with_photo: bool = True) -> Report:
    """Fill every part a submission needs (and a photo for mid-term and final reports)."""
    today = timezone.localdate()
    report, errors = svc.save_report_draft(
        report=report,
        actor=actor,
        narrative="本期培训楼道长32名，开展守望探访860次，建立一楼一档。",
        beneficiaries_reached="180",
        indicator_values=dict.fromkeys(range(len(report.indicator_values)), "50"),
        activities=[
            {
                "held_on": (today - timedelta(days=3)).isoformat(),
                "place": "钟楼社区党群服务中心",
                "description": "楼道长集中培训",
                "participants": "32",
            }
        ],
        volunteers=[{"name": "李秀英", "hours": "6.5"}, {"name": "张建国", "hours": "4"}],
    )
    assert not errors, errors
    if with_photo:
        svc.add_evidence(report=report, actor=actor, uploaded_file=photo(), kind=EvidenceKind.PHOTO)
    return report


def submitted_report(application: Application, member, kind: str = ReportKind.MID_TERM) -> Report:
    report = svc.start_report(milestone=milestone_of(application, kind), actor=member)
    complete_report(report, member)
    return svc.submit_report(report=report, actor=member)
