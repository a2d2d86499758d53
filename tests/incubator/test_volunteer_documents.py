"""The volunteer-service certificate (PDF) and the CSV export for volunteer platforms."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from incubator import services_volunteer_points as points
from incubator.enums_volunteers import HoursState
from incubator.models import VolunteerCertificate
from tests.incubator.factories_volunteers import (
    VALID_ID,
    ActivityFactory,
    HoursRecordFactory,
    OrganiserFactory,
    VolunteerFactory,
)

pytestmark = pytest.mark.django_db


def _served(volunteer, organisation, *hours_and_titles):
    base = timezone.now() - timedelta(days=30)
    records = []
    for index, (hours, title) in enumerate(hours_and_titles):
        starts = base + timedelta(days=index * 7)
        activity = ActivityFactory(
            organisation=organisation,
            title=title,
            starts_at=starts,
            ends_at=starts + timedelta(hours=8),
        )
        records.append(
            HoursRecordFactory(
                volunteer=volunteer,
                activity=activity,
                hours=Decimal(hours),
                state=HoursState.APPROVED,
            )
        )
    return records


@pytest.fixture
def served(organisation):
    volunteer = VolunteerFactory(real_name="林小雨", id_number=VALID_ID, phone="13912345678")
    _served(volunteer, organisation, ("2.5", "敬老院探访"), ("3", "社区环境清洁"))
    HoursRecordFactory(volunteer=volunteer, hours=Decimal("4"))  # pending elsewhere: not counted
    return volunteer


def _pdf_text(content: bytes, tmp_path) -> str:
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext is missing: `make test` installs poppler-utils")
    path = tmp_path / "certificate.pdf"
    path.write_bytes(content)
    result = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True
    )
    return result.stdout.decode()


def test_the_volunteer_downloads_a_pdf_certificate_in_chinese(
    client, served, organisation, tmp_path
):
    # when the volunteer downloads the certificate of their hours at the organisation
    client.force_login(served.user)
    url = reverse("volunteering:certificate", args=[served.pk, organisation.pk])
    response = client.get(url)
    # then it is a PDF naming them, the masked ID, the activities, the total and the issuer
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    text = _pdf_text(response.content, tmp_path)
    certificate = VolunteerCertificate.objects.get()
    assert "林小雨" in text
    assert "5.5" in text and "2.5" in text and "3.0" in text
    assert "敬老院探访" in text and "社区环境清洁" in text
    assert organisation.name in text
    assert certificate.number in text
    assert VALID_ID not in text and VALID_ID[-4:] in text


def test_downloading_again_keeps_the_number_until_new_hours_are_approved(
    client, served, organisation
):
    client.force_login(served.user)
    url = reverse("volunteering:certificate", args=[served.pk, organisation.pk])
    client.get(url)
    client.get(url)
    assert VolunteerCertificate.objects.count() == 1
    _served(served, organisation, ("1", "新活动"))
    client.get(url)
    first, second = VolunteerCertificate.objects.order_by("pk")
    assert second.total_hours == Decimal("6.5") and first.number != second.number


def test_certificate_permissions(client, served, organisation, officer, outsider):
    url = reverse("volunteering:certificate", args=[served.pk, organisation.pk])
    assert client.get(url).status_code == 302  # anonymous: log in
    for user, status in (
        (outsider, 404),
        (VolunteerFactory().user, 404),
        (OrganiserFactory().user, 404),
        (OrganiserFactory(organisation=organisation).user, 200),
        (officer, 200),
    ):
        client.force_login(user)
        assert client.get(url).status_code == status


def test_no_certificate_without_approved_hours(client, organisation):
    volunteer = VolunteerFactory()
    client.force_login(volunteer.user)
    url = reverse("volunteering:certificate", args=[volunteer.pk, organisation.pk])
    assert client.get(url).status_code == 404
    with pytest.raises(points.VolunteeringRefused):
        points.issue_certificate(
            actor=volunteer.user, volunteer=volunteer, organisation=organisation
        )


# --- CSV export -------------------------------------------------------------------------------------


def test_the_export_has_the_platform_columns_a_bom_and_only_approved_hours(client, served, officer):
    client.force_login(officer)
    response = client.get(reverse("volunteering:export_csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())  # Excel reads UTF-8 only with a BOM
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "姓名",
        "证件类型",
        "证件号码",
        "手机号",
        "活动名称",
        "服务日期",
        "服务时长(小时)",
        "组织名称",
    ]
    assert len(rows) == 3  # the pending record is left out
    name, kind, number, phone, title, day, hours, organisation = rows[1]
    assert (name, kind, number, phone, title, hours) == (
        "林小雨", "居民身份证", VALID_ID, "13912345678", "敬老院探访", "2.5"
    )  # fmt: skip
    assert len(day) == 10 and day[4] == "-"


def test_the_export_filters_by_organisation_and_date(client, served, organisation, officer):
    client.force_login(officer)
    today = timezone.localdate()
    response = client.get(
        reverse("volunteering:export_csv"),
        {"organisation": organisation.pk, "date_from": (today - timedelta(days=25)).isoformat()},
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row[4] for row in rows[1:]] == ["社区环境清洁"]


def test_an_organiser_exports_only_their_organisations_hours(client, served, organisation):
    other = OrganiserFactory().user
    _served(VolunteerFactory(), other.memberships.get().organisation, ("1", "别家的活动"))
    client.force_login(other)
    rows = list(
        csv.reader(
            io.StringIO(client.get(reverse("volunteering:export_csv")).content.decode("utf-8-sig"))
        )
    )
    assert [row[4] for row in rows[1:]] == ["别家的活动"]


def test_cells_that_look_like_formulas_are_defused(client, officer, organisation):
    _served(VolunteerFactory(real_name="=HYPERLINK(1)"), organisation, ("1", "+危险标题"))
    client.force_login(officer)
    rows = list(
        csv.reader(
            io.StringIO(client.get(reverse("volunteering:export_csv")).content.decode("utf-8-sig"))
        )
    )
    assert rows[1][0] == "'=HYPERLINK(1)" and rows[1][4] == "'+危险标题"


def test_volunteers_and_anonymous_cannot_export_and_outsiders_get_no_one_elses_rows(
    client, served, outsider
):
    url = reverse("volunteering:export_csv")
    assert client.get(url).status_code == 302
    client.force_login(served.user)
    assert client.get(url).status_code == 403
    # mallory runs her own organisation: she may export, but only its (no) hours
    client.force_login(outsider)
    response = client.get(url)
    assert response.status_code == 200
    assert len(list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))) == 1
    assert "林小雨" not in response.content.decode("utf-8-sig")
