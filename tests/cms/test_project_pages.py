"""The public pages of funded projects: /projects/ and /projects/<pk>/ in both languages (issue #8)."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from cms.demo_projects import build_project_pages
from cms.models import HomePage, ProjectIndexPage
from grants.enums import ApplicationState, LedgerKind, Theme, TrancheCondition, TrancheStatus
from grants.models import Tranche
from grants.models.feedback import FeedbackChannel
from grants.models.reports import EvidenceKind, ReportKind
from grants.services import reports as report_svc
from grants.services.ledger import post_entry
from incubator.models import VolunteerActivity
from tests.factories import CommunityFactory, OrganisationFactory
from tests.grants.factories_reports import (
    complete_report,
    funded_project,
    make_officer,
    member_of,
    milestone_of,
    submitted_report,
)

pytestmark = pytest.mark.django_db
S = ApplicationState


@pytest.fixture
def pages(site):
    for home in HomePage.objects.all():
        build_project_pages(home, home.locale.language_code)
    return site


def jpeg_with_gps_bytes() -> bytes:
    """A photo as a phone takes it: with EXIF (here a camera maker tag)."""
    image = Image.new("RGB", (1600, 1200), (30, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def project_with_photo(*, accept: bool = True, **kwargs):
    project = funded_project(**kwargs)
    member = member_of(project.organisation, username=f"m{project.pk}")
    report = submitted_report(project, member)
    if accept:
        report_svc.accept_report(report=report, actor=make_officer(f"o{project.pk}"))
    return project, report.evidence.get()


# --- The list -------------------------------------------------------------------------------------


def test_project_index_lists_public_projects_in_both_languages(client, pages, english):
    running = funded_project(title="楼道长守望探访计划")
    funded_project(title="草稿里的秘密项目", state=S.SUBMITTED, agreement=False)
    funded_project(title="被拒绝的项目", state=S.REJECTED, agreement=False)

    zh = client.get("/projects/")
    en = client.get("/en/projects/")

    assert zh.status_code == en.status_code == 200
    for response in (zh, en):
        body = response.content.decode()
        assert "楼道长守望探访计划" in body
        assert f'href="{"/en" if response is en else ""}/projects/{running.pk}/"' in body
        assert "草稿里的秘密项目" not in body
        assert "被拒绝的项目" not in body
        assert "¥20,000" in body
    assert "Funded projects" in en.content.decode()
    assert "资助项目" in zh.content.decode()


def test_project_index_filters_by_theme_call_and_district(client, pages):
    district = CommunityFactory().parent.parent
    in_district = funded_project(
        title="崇川区项目", theme=Theme.YOUTH, organisation=OrganisationFactory(district=district)
    )
    elsewhere = funded_project(title="别区项目", theme=Theme.ELDERLY)

    by_theme = client.get("/projects/", {"theme": "youth"}).content.decode()
    by_call = client.get("/projects/", {"call": elsewhere.call_id}).content.decode()
    by_district = client.get("/projects/", {"district": district.pk}).content.decode()
    nonsense = client.get("/projects/", {"district": "abc", "theme": "x"}).content.decode()

    assert "崇川区项目" in by_theme and "别区项目" not in by_theme
    assert "别区项目" in by_call and "崇川区项目" not in by_call
    assert "崇川区项目" in by_district and "别区项目" not in by_district
    assert "崇川区项目" in nonsense and "别区项目" in nonsense
    assert in_district.pk


def test_project_in_a_partner_community_of_a_district_is_found_by_that_district(client, pages):
    community = CommunityFactory(name="八仙城社区")
    project = funded_project(title="八仙城微心愿")
    project.partner_communities.add(community)
    district = community.parent.parent

    body = client.get("/projects/", {"district": district.pk}).content.decode()

    assert "八仙城微心愿" in body
    assert "八仙城社区" in body


def _list_queries(client) -> int:
    # Every measurement starts from an empty cache (whole-page cache, share image, site root
    # paths): saving rows purges those, so only a cold request compares with another.
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/projects/")
    assert response.status_code == 200
    return len(queries)


def test_project_index_query_count_is_the_same_for_1_and_30_projects(
    client, pages, django_assert_max_num_queries
):
    funded_project(title="项目0").partner_communities.add(CommunityFactory())
    _list_queries(client)  # warm the per-process caches
    one = _list_queries(client)
    for number in range(1, 30):
        funded_project(title=f"项目{number}").partner_communities.add(CommunityFactory())
    ProjectIndexPage.per_page = 30
    try:
        cache.clear()
        with django_assert_max_num_queries(one):
            response = client.get("/projects/")
    finally:
        ProjectIndexPage.per_page = 12

    assert response.content.decode().count('class="card project-card"') == 30


# --- One project ----------------------------------------------------------------------------------


def test_project_page_shows_the_facts_in_both_languages(client, pages, english):
    community = CommunityFactory(name="钟楼社区")
    project = funded_project(title="“邻里+”楼道长守望探访计划")
    project.partner_communities.add(community)
    tranche = Tranche.objects.create(
        agreement=project.agreement,
        application=project,
        number=1,
        percent=50,
        amount=Decimal("10000.00"),
        condition=TrancheCondition.ON_SIGNING,
        status=TrancheStatus.PAID,
        paid_at=timezone.now(),
    )
    # The ledger pays only what was awarded (a PostgreSQL trigger), so the award comes first.
    post_entry(
        kind=LedgerKind.AWARD,
        amount=project.agreement.award_amount,
        programme=project.call.programme,
        call=project.call,
        application=project,
        idempotency_key=f"test-award-{project.pk}",
    )
    post_entry(
        kind=LedgerKind.TRANCHE_PAID,
        amount=Decimal("10000.00"),
        programme=project.call.programme,
        call=project.call,
        application=project,
        tranche=tranche,
        idempotency_key=f"test-paid-{project.pk}",
    )

    zh = client.get(f"/projects/{project.pk}/")
    en = client.get(f"/en/projects/{project.pk}/")

    assert zh.status_code == en.status_code == 200
    for response in (zh, en):
        body = response.content.decode()
        assert "“邻里+”楼道长守望探访计划" in body
        assert project.organisation.name in body
        assert "钟楼社区" in body
        assert project.call.title in body
        assert "¥20,000" in body  # awarded
        assert "¥10,000" in body  # paid to date
        assert "探访人次" in body  # an indicator from the application
        assert f'/organisations/{project.organisation_id}/"' in body
    en_body = en.content.decode()
    assert "Under way" in en_body
    assert "Paid to date" in en_body
    assert "Progress against indicators" in en_body
    # SEO: the project's own title and a canonical link to its own URL.
    assert "<title>“邻里+”楼道长守望探访计划 ·" in en_body
    assert f'<link rel="canonical" href="http://testserver/en/projects/{project.pk}/">' in en_body
    assert f'hreflang="zh-hans" href="http://testserver/projects/{project.pk}/"' in en_body


@pytest.mark.parametrize(
    "state", [S.DRAFT, S.SUBMITTED, S.IN_REVIEW, S.REJECTED, S.APPROVED, S.WITHDRAWN]
)
def test_project_page_is_404_for_a_project_that_is_not_public(client, pages, state):
    project = funded_project(title="不该公开的项目", state=state, agreement=False)

    assert client.get(f"/projects/{project.pk}/").status_code == 404
    assert client.get(f"/en/projects/{project.pk}/").status_code == 404


def test_project_page_is_404_for_an_unknown_project(client, pages):
    assert client.get("/projects/999999/").status_code == 404


def test_project_page_never_shows_the_organisations_contacts_or_bank_account(client, pages):
    organisation = OrganisationFactory(
        contact_name="保密联系人甲",
        contact_phone="13912345678",
        contact_email="secret-contact@example.org",
        address="保密路8号",
    )
    project = funded_project(organisation=organisation)
    project.agreement.account_number = "6222020200112233445"
    project.agreement.save()

    for url in (f"/projects/{project.pk}/", "/projects/", f"/en/projects/{project.pk}/"):
        body = client.get(url).content.decode()
        assert organisation.name in body
        for secret in (
            "保密联系人甲",
            "13912345678",
            "secret-contact@example.org",
            "保密路8号",
            "6222020200112233445",
        ):
            assert secret not in body


def test_closed_project_shows_its_state_in_plain_words(client, pages, english):
    project = funded_project(title="已结项项目", state=S.COMPLETED)

    body = client.get(f"/en/projects/{project.pk}/").content.decode()

    assert "Completed" in body


# --- Donations, feedback, volunteers --------------------------------------------------------------


def test_donate_button_only_when_donations_are_on(client, pages, settings):
    project = funded_project()
    donate = f'href="/projects/{project.pk}/donate/"'
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""

    off = client.get(f"/projects/{project.pk}/").content.decode()
    settings.STRIPE_SECRET_KEY = "sk_test_123"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_123"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_123"
    on = client.get(f"/projects/{project.pk}/").content.decode()
    closed = funded_project(state=S.COMPLETED)
    on_closed = client.get(f"/projects/{closed.pk}/").content.decode()

    assert donate not in off
    assert donate in on
    assert "/donate/" not in on_closed


def test_feedback_link_when_the_project_has_an_open_feedback_page(client, pages):
    with_page = funded_project()
    channel = FeedbackChannel.objects.create(application=with_page)
    closed_channel = FeedbackChannel.objects.create(
        application=funded_project(), is_open=False, token="closed-token-1"
    )
    without = funded_project()

    assert (
        f'href="/pingyi/{channel.token}/"'
        in client.get(f"/projects/{with_page.pk}/").content.decode()
    )
    assert (
        "/pingyi/" not in client.get(f"/projects/{closed_channel.application_id}/").content.decode()
    )
    assert "/pingyi/" not in client.get(f"/projects/{without.pk}/").content.decode()


def test_project_page_lists_open_volunteer_activities_only(client, pages):
    project = funded_project()
    now = timezone.now()
    community = CommunityFactory()

    def activity(title, *, published=True, days=3, **fields):
        return VolunteerActivity.objects.create(
            title=title,
            organisation=project.organisation,
            community=community,
            place="社区活动室",
            starts_at=now + timedelta(days=days),
            ends_at=now + timedelta(days=days, hours=2),
            slots=10,
            published=published,
            checkin_token=f"token-{title}",
            **fields,
        )

    upcoming = activity("周六探访志愿服务", application=project)
    activity("未发布的活动", published=False)
    activity("上个月的活动", days=-30)

    body = client.get(f"/projects/{project.pk}/").content.decode()

    assert "周六探访志愿服务" in body
    assert f'href="/volunteering/activities/{upcoming.pk}/"' in body
    assert "未发布的活动" not in body
    assert "上个月的活动" not in body


# --- Photos ---------------------------------------------------------------------------------------


def test_photos_of_accepted_reports_are_shown_resized_as_jpeg(client, pages):
    project, evidence = project_with_photo()

    body = client.get(f"/projects/{project.pk}/").content.decode()
    response = client.get(f"/project-photos/{evidence.pk}/small.jpg")

    assert f'src="/project-photos/{evidence.pk}/small.jpg"' in body
    assert 'alt="' in body.split(f"/project-photos/{evidence.pk}/small.jpg")[1][:200]
    assert f'content="http://testserver/project-photos/{evidence.pk}/large.jpg"' in body
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "JPEG"
    assert max(image.size) <= 480


def test_photo_is_stripped_of_its_metadata_and_scaled_down(client, pages):
    project = funded_project()
    member = member_of(project.organisation)
    report = report_svc.start_report(
        milestone=milestone_of(project, ReportKind.MID_TERM), actor=member
    )
    complete_report(report, member, with_photo=False)
    upload = SimpleUploadedFile("IMG_0001.jpg", jpeg_with_gps_bytes(), content_type="image/jpeg")
    evidence = report_svc.add_evidence(
        report=report, actor=member, uploaded_file=upload, kind=EvidenceKind.PHOTO
    )
    report_svc.submit_report(report=report, actor=member)
    report_svc.accept_report(report=report, actor=make_officer())

    response = client.get(f"/project-photos/{evidence.pk}/large.jpg")

    assert response.status_code == 200
    assert b"SecretCameraMaker" not in response.content
    assert max(Image.open(io.BytesIO(response.content)).size) == 1200


def test_photo_of_a_report_not_yet_accepted_is_refused(client, pages):
    project, evidence = project_with_photo(accept=False)

    assert client.get(f"/project-photos/{evidence.pk}/small.jpg").status_code == 404
    assert (
        f"/project-photos/{evidence.pk}/"
        not in client.get(f"/projects/{project.pk}/").content.decode()
    )


def test_sign_in_sheets_and_non_images_are_never_served(client, pages):
    project = funded_project()
    member = member_of(project.organisation)
    report = report_svc.start_report(
        milestone=milestone_of(project, ReportKind.MID_TERM), actor=member
    )
    complete_report(report, member)
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (0, 0, 0)).save(buffer, format="PNG")
    sheet = report_svc.add_evidence(
        report=report,
        actor=member,
        uploaded_file=SimpleUploadedFile("签到表.png", buffer.getvalue(), content_type="image/png"),
        kind=EvidenceKind.SIGN_IN_SHEET,
    )
    pdf_sheet = report_svc.add_evidence(
        report=report,
        actor=member,
        uploaded_file=SimpleUploadedFile(
            "签到表.pdf",
            b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
            content_type="application/pdf",
        ),
        kind=EvidenceKind.SIGN_IN_SHEET,
    )
    report_svc.submit_report(report=report, actor=member)
    report_svc.accept_report(report=report, actor=make_officer())

    assert client.get(f"/project-photos/{sheet.pk}/small.jpg").status_code == 404
    assert client.get(f"/project-photos/{pdf_sheet.pk}/small.jpg").status_code == 404
    body = client.get(f"/projects/{project.pk}/").content.decode()
    assert f"/project-photos/{sheet.pk}/" not in body
    assert f"/project-photos/{pdf_sheet.pk}/" not in body


def test_photo_of_a_project_that_is_no_longer_public_is_refused(client, pages):
    from grants.models import Application

    project, evidence = project_with_photo()
    Application.objects.filter(pk=project.pk).update(state=S.WITHDRAWN)

    assert client.get(f"/project-photos/{evidence.pk}/small.jpg").status_code == 404


def test_photo_view_refuses_unknown_sizes(client, pages):
    _project, evidence = project_with_photo()

    assert client.get(f"/project-photos/{evidence.pk}/huge.jpg").status_code == 404


# --- The pages ------------------------------------------------------------------------------------


def test_demo_builds_one_project_index_per_language_once(pages):
    home_zh = HomePage.objects.get(locale__language_code="zh-hans")
    build_project_pages(home_zh, "zh-hans")

    indexes = ProjectIndexPage.objects.all()
    assert indexes.count() == 2
    assert {page.url_path.rstrip("/").rsplit("/", 1)[1] for page in indexes} == {"projects"}
    assert len({page.translation_key for page in indexes}) == 1


def test_project_index_slug_is_fixed(pages):
    from django.core.exceptions import ValidationError

    page = ProjectIndexPage.objects.get(locale__language_code="zh-hans")
    page.slug = "xiangmu"

    with pytest.raises(ValidationError):
        page.full_clean()


def test_progress_shows_reached_figures_from_accepted_reports_only(client, pages, english):
    waiting, _evidence = project_with_photo(accept=False, title="等待审核的项目")
    accepted, _evidence = project_with_photo(title="报告已通过的项目")

    waiting_body = client.get(f"/en/projects/{waiting.pk}/").content.decode()
    accepted_body = client.get(f"/en/projects/{accepted.pk}/").content.decode()

    assert "No progress report has been accepted yet" in waiting_body
    assert "50 人次" not in waiting_body
    assert "No progress report has been accepted yet" not in accepted_body
    assert "50 人次" in accepted_body  # reached, against the target of 2400
    assert "2400 人次" in accepted_body


def test_language_switcher_on_a_project_leads_to_the_same_project(client, pages):
    project = funded_project()

    zh = client.get(f"/projects/{project.pk}/").content.decode()
    en = client.get(f"/en/projects/{project.pk}/").content.decode()

    assert f'name="next" value="/en/projects/{project.pk}/"' in zh
    assert f'name="next" value="/projects/{project.pk}/"' in en
