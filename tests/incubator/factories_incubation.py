"""Factories of incubation and the organisation vault."""

from __future__ import annotations

from datetime import date, timedelta

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from incubator.enums_incubation import DocumentKind, IncubationMode
from incubator.models import (
    BankAccount,
    CapacityAssessment,
    IncubationApplication,
    IncubationBase,
    Intake,
    TrainingCourse,
    TrainingSession,
    VaultDocument,
)
from tests.factories import DistrictFactory, OrganisationFactory, UserFactory

PDF = (
    b"%PDF-1.4\n"
    b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
    b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)


class IncubationBaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IncubationBase
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"测试社会组织孵化基地{n}")
    district = factory.SubFactory(DistrictFactory)
    address = "南坪东路1号"
    capacity = 20


class IntakeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Intake

    base = factory.SubFactory(IncubationBaseFactory)
    name = factory.Sequence(lambda n: f"2026年第{n}期入驻")
    opens_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=10))
    closes_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=20))
    offers_in_house = True
    offers_outside = True
    offers_cloud = True
    requires_registration = True
    requires_completed_project = False
    requires_financial_system = True
    min_capacity_score = 60
    min_months = 0


class IncubationApplicationFactory(factory.django.DjangoModelFactory):
    """An application; pass ``state=...`` to start elsewhere (test set-up only)."""

    class Meta:
        model = IncubationApplication

    intake = factory.SubFactory(IntakeFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    applied_by = factory.SubFactory(UserFactory)
    requested_mode = IncubationMode.IN_HOUSE
    motivation = "机构成立两年，希望获得场地和财务制度建设辅导。"
    review_due_on = factory.LazyFunction(
        lambda: IncubationApplication.review_due_for(timezone.localdate())
    )


def incubating(**kwargs) -> IncubationApplication:
    """An application in the incubating state with a signed in-house agreement and a plan."""
    today = timezone.localdate()
    defaults = {
        "state": "incubating",
        "mode": IncubationMode.IN_HOUSE,
        "space": "孵化室 A-203",
        "term_start": today - timedelta(days=200),
        "term_end": today + timedelta(days=165),
        "agreement_signed_on": today - timedelta(days=200),
        "incubating_since": today - timedelta(days=200),
        "service_goals": "建立财务制度，完成一个社区项目。",
    }
    defaults.update(kwargs)
    return IncubationApplicationFactory(**defaults)


class CapacityAssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CapacityAssessment

    application = factory.SubFactory(IncubationApplicationFactory)
    assessed_on = factory.Sequence(lambda n: date(2025, 1, 1) + timedelta(days=n))
    governance = 15
    finance = 15
    projects = 15
    team = 15
    assessor = factory.SubFactory(UserFactory)


class TrainingCourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingCourse

    base = factory.SubFactory(IncubationBaseFactory)
    title = factory.Sequence(lambda n: f"社会组织财务管理基础{n}")
    trainer = "李老师"


class TrainingSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingSession

    course = factory.SubFactory(TrainingCourseFactory)
    topic = "预算编制"
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    ends_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1) + timedelta(hours=2))
    place = "孵化基地培训室"


class VaultDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VaultDocument

    organisation = factory.SubFactory(OrganisationFactory)
    kind = DocumentKind.CHARTER
    file = factory.LazyFunction(lambda: ContentFile(PDF, name="charter.pdf"))
    original_name = "章程.pdf"
    content_type = "application/pdf"
    size = len(PDF)
    sha256 = "0" * 64
    uploaded_by = factory.SubFactory(UserFactory)


class BankAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BankAccount

    organisation = factory.SubFactory(OrganisationFactory)
    account_name = factory.LazyAttribute(lambda a: a.organisation.name)
    bank_name = "中国工商银行重庆南坪支行"
    account_number = factory.Sequence(lambda n: f"62220231{n:08d}")
    created_by = factory.SubFactory(UserFactory)
