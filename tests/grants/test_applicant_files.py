"""Attachments on the form: type and size checks with clear messages, private serving."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from grants.models import Application, Attachment
from grants.services import applications as svc
from tests.factories import CallFactory
from tests.grants._applicant_helpers import form_post

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture
def draft(organisation, applicant):
    return svc.start_application(call=CallFactory(), organisation=organisation, actor=applicant)


@pytest.fixture
def alice(client, applicant):
    client.force_login(applicant)
    client.cookies["django_language"] = "en"
    return client


def upload(client, application, name, content, kind="plan", **fields):
    data = form_post(upload="1", kind=kind, file=SimpleUploadedFile(name, content), **fields)
    return client.post(reverse("grants:application_edit", args=[application.pk]), data)


def test_a_pdf_is_attached_listed_with_its_size_and_downloadable(alice, draft):
    response = upload(alice, draft, "项目计划书.pdf", PDF)

    assert response.status_code == 302
    attachment = draft.attachments.get()
    page = alice.get(reverse("grants:application_edit", args=[draft.pk])).content.decode()
    assert "项目计划书.pdf" in page and "bytes" in page
    download = alice.get(reverse("grants:attachment_download", args=[attachment.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Type"] == "application/pdf"


def test_a_docx_is_recognised_by_its_content(alice, draft):
    upload(alice, draft, "预算表.docx", docx_bytes(), kind="budget")

    assert draft.attachments.get().kind == "budget"


def test_a_wrong_file_type_gets_a_clear_message_and_the_draft_is_intact(alice, draft):
    response = upload(
        alice, draft, "plan.pdf", b"MZ\x90\x00 this is a Windows program", title="我的项目"
    )

    body = response.content.decode()
    assert response.status_code == 422
    assert "PDF, Word (doc, docx), Excel (xls, xlsx), JPG or PNG" in body
    assert not Attachment.objects.exists()
    assert Application.objects.get(pk=draft.pk).title == "我的项目"
    assert 'value="我的项目"' in body


def test_an_oversize_file_gets_a_clear_message_and_nothing_is_stored(alice, draft):
    type(draft.call).objects.filter(pk=draft.call_id).update(max_attachment_mb=1)

    response = upload(alice, draft, "big.pdf", PDF + b"0" * (1024 * 1024 + 1))

    assert response.status_code == 422
    assert "1 MB" in response.content.decode()
    assert not Attachment.objects.exists()
    assert Application.objects.get(pk=draft.pk).budget_lines.count() == 2


def test_uploading_without_choosing_a_file_says_so(alice, draft):
    response = alice.post(
        reverse("grants:application_edit", args=[draft.pk]), form_post(upload="1", kind="plan")
    )

    assert response.status_code == 422
    assert "This field is required." in response.content.decode()


def test_an_attachment_is_removed_from_the_form(alice, draft):
    upload(alice, draft, "plan.pdf", PDF)
    attachment = draft.attachments.get()

    response = alice.post(
        reverse("grants:application_edit", args=[draft.pk]),
        form_post(remove_attachment=str(attachment.pk)),
    )

    assert response.status_code == 302
    assert not draft.attachments.exists()


def test_outsider_gets_404_on_the_file(client, alice, outsider, draft):
    upload(alice, draft, "plan.pdf", PDF)
    attachment = draft.attachments.get()
    client.force_login(outsider)

    assert (
        client.get(reverse("grants:attachment_download", args=[attachment.pk])).status_code == 404
    )


def test_an_officer_downloads_the_file(client, alice, officer, draft):
    upload(alice, draft, "plan.pdf", PDF)
    attachment = draft.attachments.get()
    client.force_login(officer)

    assert (
        client.get(reverse("grants:attachment_download", args=[attachment.pk])).status_code == 200
    )


def test_files_are_not_under_media_url(alice, draft, settings):
    upload(alice, draft, "plan.pdf", PDF)
    attachment = draft.attachments.get()

    assert not attachment.file.path.startswith(str(settings.MEDIA_ROOT))
    assert attachment.file.path.startswith(str(settings.STORAGES["private"]["OPTIONS"]["location"]))


def test_private_attachments_have_no_public_url():
    from grants.storage import private_storage

    with pytest.raises(ValueError, match="no public URL"):
        private_storage().url("applications/1/1/plan.pdf")
