"""Demo data of incubation: 南岸区社区治理创新中心（社会组织孵化基地）, two intakes and a cohort
with one application in every state, driven through the real services.

The base is the one in seed article 003 (南岸区民政局和南坪街道 2018 年合力打造, 运营方 社创营);
people and numbers are made up. ``seed`` looks everything up by natural key (base name, intake name
within the base, organisation within the intake, course title, session topic, mentoring topic,
assessment date) and creates only what is missing: a second run creates nothing.

Dates hang off each intake's opening day, stored when the intake was first seeded, so a re-run
months later computes the same dates and finds the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD, EMAIL_DOMAIN
from accounts.enums import Role
from accounts.models import Membership, User
from incubator import services_incubation as svc
from incubator import services_incubation_programme as programme
from incubator.enums_incubation import IncubationMode, IncubationState
from incubator.models import (
    CapacityAssessment,
    Community,
    IncubationApplication,
    IncubationBase,
    Intake,
    MentoringSession,
    Organisation,
    TrainingCourse,
    TrainingSession,
)

I = IncubationState  # noqa: E741
M = IncubationMode

BASE_NAME = "南岸区社区治理创新中心（社会组织孵化基地）"
BASE_OPERATOR = "南岸区社创营社会工作服务中心"
DISTRICT = "南岸区"
PAST_INTAKE = "2025年第二期入驻"
OPEN_INTAKE = "2026年第一期入驻"
PLACE = "南岸区社区治理创新中心三楼培训室"


@dataclass(frozen=True)
class Member:
    organisation: str
    intake: str  # PAST_INTAKE or OPEN_INTAKE
    state: str
    mode: str
    motivation: str
    space: str = ""
    subsidy: str = "0"
    reason: str = ""


# fmt: off
COHORT: tuple[Member, ...] = (
    Member("南岸区青创营青年公益发展中心", PAST_INTAKE, I.INCUBATING, M.IN_HOUSE,
           "成立三年的青年公益团队，项目多但制度不健全，希望入驻获得场地、财务制度辅导和项目设计督导。",
           space="孵化室 A-203", subsidy="20000"),
    Member("桃花桥社区睦邻议事会", PAST_INTAKE, I.INCUBATING, M.OUTSIDE,
           "社区备案的议事组织，准备登记为社会服务机构，需要章程起草和登记材料辅导。",
           subsidy="8000"),
    Member("南岸区德育公益实践服务中心", PAST_INTAKE, I.GRADUATED, M.IN_HOUSE,
           "承接家校社德育项目，希望系统提升财务管理和团队能力后独立承接政府购买服务。",
           space="孵化室 A-105", subsidy="20000"),
    Member("濠南社区悦读会", PAST_INTAKE, I.TERMINATED, M.OUTSIDE,
           "社区阅读社团，希望学习项目化运作。", subsidy="5000",
           reason="连续三个月未参加培训和督导，经基地评估终止孵化。"),
    Member("土庙子片区长者互助会", OPEN_INTAKE, I.AGREEMENT_SIGNED, M.CLOUD,
           "搬迁后的长者互助组织，成员分散，希望以云孵化方式获得线上督导和培训。"),
    Member("南岸区V益志愿服务协会", OPEN_INTAKE, I.ADMITTED, M.IN_HOUSE,
           "志愿服务协会需要固定办公和培训场地，并希望完善志愿者管理制度。", reason="材料齐全，符合入驻条件。"),
    Member("海曙区邻e家智慧养老服务中心", OPEN_INTAKE, I.UNDER_REVIEW, M.CLOUD,
           "希望通过云孵化学习南岸区“三事分流”经验，改进社区养老服务项目设计。"),
    Member("姑苏区心桥青少年成长服务中心", OPEN_INTAKE, I.APPLIED, M.CLOUD,
           "流动儿童服务机构，希望获得项目评估和筹资能力方面的督导。"),
    Member("崇川区阳光助残服务中心", OPEN_INTAKE, I.REJECTED, M.IN_HOUSE,
           "希望入驻获得办公场地。", reason="本期场地仅面向南岸区注册机构，建议申请云孵化。"),
    Member("钟楼社区邻里互助队", OPEN_INTAKE, I.WITHDRAWN, M.CLOUD,
           "希望学习邻里互助项目的记录和评估方法。", reason="队伍骨干调整，暂缓参加。"),
)

COURSES = (
    ("社会组织财务管理基础", "王静（注册会计师）", "预算编制、报销审批、票据管理和年度审计准备。", (
        (40, "预算编制与报销流程"), (70, "财务制度与内部控制"), (100, "年度审计与信息公开"))),
    ("公益项目设计与创投申报", "唐敏", "从社区需求到项目逻辑模型，对照公益创投评审标准写申报书。", (
        (55, "需求调研与问题树"), (85, "产出与成效指标"))),
)

MENTORING = (
    (45, "刘晓峰", "财务制度建设", "已建立报销审批流程和现金日记账，尚缺固定资产台账和资金使用公示。", True,
     (("建立固定资产台账", 30), ("在公众号公示上季度资金使用情况", 45))),
    (120, "刘晓峰", "项目设计督导", "梳理了社区青年志愿服务项目的逻辑模型，成效指标仍偏重活动次数。", True,
     (("把成效指标改为可测量的变化", 20),)),
    (150, "陈思远", "内部评估：负责人稳定性", "负责人兼职较多，建议督促机构落实专职项目主管。", False, ()),
)

# (days after incubation starts, governance, finance, projects, team)
ASSESSMENTS = {
    "南岸区青创营青年公益发展中心": ((30, 12, 8, 14, 11), (180, 18, 16, 17, 15)),
    "桃花桥社区睦邻议事会": ((30, 10, 6, 9, 12), (180, 15, 11, 13, 16)),
    "南岸区德育公益实践服务中心": ((30, 14, 12, 15, 13), (150, 19, 18, 18, 17), (200, 21, 20, 19, 18)),
}
# fmt: on


def _member(organisation: Organisation, password_hash: str) -> User:
    """An applicant member of the organisation: an existing one, or ``org<pk>`` (the same account
    ``grants.demo_lifecycle`` creates for the organisations it needs)."""
    membership = (
        Membership.objects.filter(organisation=organisation, role=Role.APPLICANT, is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if membership:
        return membership.user
    username = f"org{organisation.pk}"
    user, _ = User.objects.get_or_create(
        username=username,
        defaults={
            "email": f"{username}@{EMAIL_DOMAIN}",
            "display_name": organisation.contact_name or organisation.name[:20],
            "password": password_hash,
        },
    )
    Membership.objects.get_or_create(user=user, role=Role.APPLICANT, organisation=organisation)
    return user


def _at(day: date, hour: int = 9) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _base(*, officer: User, district: Community) -> IncubationBase:
    base, created = IncubationBase.objects.get_or_create(
        name=BASE_NAME,
        defaults={
            "district": district,
            "address": "重庆市南岸区南坪街道南坪东路社区治理创新中心",
            "capacity": 13,
            "operator": Organisation.objects.filter(name=BASE_OPERATOR).first(),
            "description": "南岸区民政局和南坪街道2018年合力打造，采取“政府资金支持、社工人才培养、"
            "社创项目投放”的运营模式，为入驻社会组织提供场地、培训、督导和能力评估。",
        },
    )
    if created:
        base.managers.add(officer)
    return base


def _intakes(base: IncubationBase, today: date) -> dict[str, Intake]:
    common = {
        "offers_in_house": True,
        "offers_outside": True,
        "offers_cloud": True,
        "requires_registration": True,
        "requires_financial_system": True,
        "min_capacity_score": 60,
        "min_months": 6,
    }
    past, _ = Intake.objects.get_or_create(
        base=base,
        name=PAST_INTAKE,
        defaults={
            "opens_on": today - timedelta(days=300),
            "closes_on": today - timedelta(days=270),
            "description": "面向南岸区初创期社会组织和社区社会组织，孵化期一年。",
            **common,
        },
    )
    current, _ = Intake.objects.get_or_create(
        base=base,
        name=OPEN_INTAKE,
        defaults={
            "opens_on": today - timedelta(days=12),
            "closes_on": today + timedelta(days=45),
            "description": "本期提供入驻、场外和云孵化三种方式；出壳须依法登记、建立基本财务制度，"
            "能力评估不低于60分，孵化满6个月。",
            **common,
        },
    )
    return {PAST_INTAKE: past, OPEN_INTAKE: current}


PATH = {
    I.APPLIED: (),
    I.UNDER_REVIEW: ("start_review",),
    I.ADMITTED: ("start_review", "admit"),
    I.REJECTED: ("start_review", "reject"),
    I.WITHDRAWN: ("start_review", "withdraw"),
    I.AGREEMENT_SIGNED: ("start_review", "admit", "sign"),
    I.INCUBATING: ("start_review", "admit", "sign", "plan", "start"),
    I.GRADUATED: (
        "start_review",
        "admit",
        "sign",
        "plan",
        "start",
    ),  # graduates after its programme
    I.TERMINATED: ("start_review", "admit", "sign", "plan", "start"),
}


def _drive(application, spec: Member, *, officer: User, member: User, start: date):
    """Take a new application along the path to ``spec.state`` through the services."""
    for step in PATH[spec.state]:
        if step == "start_review":
            application = svc.start_review(application=application, actor=officer)
        elif step == "admit":
            application = svc.admit(application=application, actor=officer, reason=spec.reason)
        elif step == "reject":
            application = svc.reject(application=application, actor=officer, reason=spec.reason)
        elif step == "withdraw":
            application = svc.withdraw(application=application, actor=member, reason=spec.reason)
        elif step == "sign":
            application = svc.sign_agreement(
                application=application,
                actor=officer,
                mode=spec.mode,
                space=spec.space,
                subsidy=Decimal(spec.subsidy),
                term_start=start,
                term_end=start + timedelta(days=365),
            )
        elif step == "plan":
            application = svc.save_service_plan(
                application=application,
                actor=officer,
                goals="一年内完成登记或规范化建设，建立基本财务制度，独立实施一个社区项目，"
                "能力评估达到60分以上。",
                services=["财务制度建设辅导", "项目设计督导", "公益创投申报指导", "志愿者管理培训"],
            )
        elif step == "start":
            application = svc.start_incubation(application=application, actor=officer)
    return application


def _programme(base: IncubationBase, anchor: date, officer: User, today: date) -> None:
    """Courses with sessions and attendance of the incubating organisations."""
    cohort = set(
        IncubationApplication.objects.filter(intake__base=base, state=I.INCUBATING).values_list(
            "organisation_id", flat=True
        )
    )
    for title, trainer, description, sessions in COURSES:
        course = TrainingCourse.objects.filter(base=base, title=title).first()
        if course is None:
            course = programme.create_course(
                base=base, actor=officer, title=title, trainer=trainer, description=description
            )
        for days, topic in sessions:
            day = anchor + timedelta(days=days)
            session = TrainingSession.objects.filter(course=course, topic=topic).first()
            if session is None:
                session = programme.add_session(
                    course=course,
                    actor=officer,
                    starts_at=_at(day, 14),
                    ends_at=_at(day, 17),
                    place=PLACE,
                    topic=topic,
                )
                if day <= today and cohort:
                    # Everyone came except the community group, which missed the first session.
                    present = set(cohort)
                    if days == sessions[0][0]:
                        present -= set(
                            Organisation.objects.filter(
                                pk__in=cohort, org_type="community_org"
                            ).values_list("pk", flat=True)
                        )
                    programme.record_attendance(
                        session=session, actor=officer, organisation_ids=present
                    )


def _support(application, officer: User, today: date) -> None:
    """Mentoring notes and assessments of one incubating organisation."""
    start = application.incubating_since
    for days, mentor, topic, notes, shared, follow_ups in MENTORING:
        held_on = start + timedelta(days=days)
        if (
            held_on > today
            or MentoringSession.objects.filter(application=application, topic=topic).exists()
        ):
            continue
        programme.add_mentoring_session(
            application=application,
            actor=officer,
            held_on=held_on,
            mentor=mentor,
            topic=topic,
            notes=notes,
            shared_with_organisation=shared,
            follow_ups=[(text, held_on + timedelta(days=due)) for text, due in follow_ups],
        )
    for days, governance, finance, projects, team in ASSESSMENTS.get(
        application.organisation.name, ()
    ):
        assessed_on = start + timedelta(days=days)
        if (
            assessed_on > today
            or CapacityAssessment.objects.filter(
                application=application, assessed_on=assessed_on
            ).exists()
        ):
            continue
        programme.record_assessment(
            application=application,
            actor=officer,
            assessed_on=assessed_on,
            governance=governance,
            finance=finance,
            projects=projects,
            team=team,
            notes="能力评估（治理、财务、项目、团队各25分）。",
        )


def seed_incubation(*, officer: User, district: Community, stdout=None) -> int:
    """Seed the base, its intakes, the cohort and its programme; returns applications created."""
    today = timezone.localdate()
    password_hash = make_password(DEMO_PASSWORD)
    base = _base(officer=officer, district=district)
    intakes = _intakes(base, today)
    created = []
    for spec in COHORT:
        organisation = Organisation.objects.filter(name=spec.organisation).order_by("pk").first()
        intake = intakes[spec.intake]
        if (
            organisation is None
            or IncubationApplication.objects.filter(
                intake=intake, organisation=organisation
            ).exists()
        ):
            continue
        member = _member(organisation, password_hash)
        applied_on = intake.opens_on + timedelta(days=3)
        with transaction.atomic():
            application = IncubationApplication.objects.create(
                intake=intake,
                organisation=organisation,
                applied_by=member,
                requested_mode=spec.mode,
                motivation=spec.motivation,
                applied_at=_at(applied_on, 10),
                review_due_on=IncubationApplication.review_due_for(applied_on),
            )
            start = intake.closes_on + timedelta(days=30)
            application = _drive(application, spec, officer=officer, member=member, start=start)
            if application.state == I.INCUBATING:
                # Back-date the move-in so the programme (and the 6-month rule) has a history.
                IncubationApplication.objects.filter(pk=application.pk).update(
                    incubating_since=min(start, today), agreement_signed_on=min(start, today)
                )
                application.refresh_from_db()
        created.append((spec, application))
    _programme(base, intakes[PAST_INTAKE].closes_on + timedelta(days=30), officer, today)
    for spec, application in created:
        if application.state != I.INCUBATING:
            continue
        with transaction.atomic():
            _support(application, officer, today)
            if spec.state == I.GRADUATED:
                svc.attest_financial_system(application=application, actor=officer, attested=True)
                application = svc.graduate(application=application, actor=officer)
                graduated_on = application.incubating_since + timedelta(days=230)
                if graduated_on <= today:
                    IncubationApplication.objects.filter(pk=application.pk).update(
                        graduated_on=graduated_on,
                        handback_due_on=graduated_on + timedelta(days=21),
                        handed_back_on=graduated_on + timedelta(days=9),
                    )
            elif spec.state == I.TERMINATED:
                svc.terminate(application=application, actor=officer, reason=spec.reason)
    if stdout is not None:
        stdout.write(f"  孵化 incubation: {len(created)} applications created")
    return len(created)


def seed(*, stdout) -> None:
    officer = User.objects.filter(username="officer").first()
    district = Community.objects.filter(name=DISTRICT, parent__isnull=True).first()
    if officer is None or district is None:
        stdout.write("  孵化 incubation: skipped (demo officer or 南岸区 missing)")
        return
    seed_incubation(officer=officer, district=district, stdout=stdout)
