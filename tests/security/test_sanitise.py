"""Stored XSS: what people type into our forms is shown as text, never run as markup.

No form outside the Wagtail editor accepts HTML, so every field is escaped when shown (Django's
autoescape, ``linebreaksbr`` escapes before it adds ``<br>``). These tests submit the classic
payloads through the real forms — the applicant's application form, the public objection form,
the donation form — and read the pages and the Excel export that show them.
"""

from __future__ import annotations

import io
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils.html import escape
from openpyxl import load_workbook

from grants.models import Application, Donation, Objection
from grants.services import applications as svc
from grants.services import decisions
from tests.factories import CallFactory
from tests.grants._applicant_helpers import form_post
from tests.grants.factories_decisions import closed_call, recommended
from tests.grants.factories_donations import funded_project

pytestmark = pytest.mark.django_db

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">点我</a>',
    '"><svg onload=alert(1)>',
]


def assert_inert(html: str, *texts: str) -> None:
    """Each text is on the page escaped, and nowhere as live markup."""
    for text in texts:
        assert text not in html, f"unescaped on the page: {text!r}"
        assert escape(text) in html, f"not shown at all: {text!r}"
    assert "<script>alert" not in html
    assert not re.search(r"<[^>]+\son(error|load)\s*=", html)
    assert not re.search(r"<a[^>]+href=\"javascript:", html)


def test_application_answers_render_as_text_for_officer_applicant_and_export(
    client, applicant, organisation, officer
):
    # given an applicant who fills every free-text field of the real form with a payload
    call = CallFactory()
    draft = svc.start_application(call=call, organisation=organisation, actor=applicant)
    fields = {
        "title": f"项目{PAYLOADS[3]}",
        "summary": PAYLOADS[0],
        "need": PAYLOADS[1],
        "objectives": PAYLOADS[2],
        "beneficiaries": PAYLOADS[3],
        "activities-0-description": PAYLOADS[1],
        "team-0-name": PAYLOADS[0],
        "budget-0-description": PAYLOADS[2],
    }
    client.force_login(applicant)

    # when they submit it
    response = client.post(
        reverse("grants:application_edit", args=[draft.pk]), form_post(submit="1", **fields)
    )
    assert response.status_code == 302
    application = Application.objects.get(pk=draft.pk)
    assert application.summary == PAYLOADS[0]  # kept as typed: escaping is the page's job

    # then their own page shows the text, not markup
    mine = client.get(reverse("grants:application_detail", args=[draft.pk]))
    assert_inert(mine.content.decode(), *PAYLOADS)

    # and so do the officer's page and the officer's Excel export
    client.force_login(officer)
    page = client.get(reverse("grants:officer_application", args=[draft.pk]))
    assert_inert(page.content.decode(), *PAYLOADS)
    export = client.get(reverse("grants:officer_export", args=[call.pk]))
    cells = [
        str(cell.value)
        for sheet in load_workbook(io.BytesIO(export.getvalue()), read_only=True).worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]
    assert fields["title"] in cells  # text stays text in the spreadsheet too


def test_a_public_objection_renders_as_text_for_the_officer(
    client, officer, django_capture_on_commit_callbacks
):
    # given a published 公示
    call = closed_call(slug="xss-gongshi")
    project = recommended(call, rank=1, score=90, title="银龄互助")
    decisions.publish_public_notice(call=call, actor=officer, contact="0513-12345678")
    prefix = f"p{project.pk}"

    # when an anonymous visitor objects with payloads in their name and text, and confirms
    with django_capture_on_commit_callbacks(execute=True):
        lodged = client.post(
            reverse("grants:objection_lodge", args=[call.slug, project.pk]),
            {
                f"{prefix}-name": PAYLOADS[1][:50],
                f"{prefix}-contact": "x@example.org",
                f"{prefix}-body": "\n".join(PAYLOADS),
            },
        )
    objection = Objection.objects.get()
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    client.post(lodged["Location"], {"code": code})

    # then the officer reads it as text
    client.force_login(officer)
    page = client.get(reverse("grants:decisions_objection", args=[call.pk, objection.pk]))
    assert page.status_code == 200
    assert_inert(page.content.decode(), *PAYLOADS)


def test_a_donors_name_and_message_render_as_text(client, officer, stripe_settings):
    # given a funded project open to gifts
    project = funded_project()

    # when a visitor gives with payloads as their name and message
    client.post(
        reverse("grants:donations_project", kwargs={"pk": project.pk}),
        {
            "preset": "other",
            "custom_amount": "100",
            "donor_name": PAYLOADS[1][:40],
            "message": PAYLOADS[0],
        },
    )
    donation = Donation.objects.get()
    assert donation.message == PAYLOADS[0]

    # then the payment page and the officer's donation panel show them as text
    pay = client.get(reverse("grants:donations_pay", kwargs={"public_id": donation.public_id}))
    assert_inert(pay.content.decode(), PAYLOADS[1][:40])
    client.force_login(officer)
    page = client.get(reverse("grants:officer_application", kwargs={"pk": project.pk}))
    assert_inert(page.content.decode(), PAYLOADS[1][:40], PAYLOADS[0])
