"""Starting, autosaving, attachments, comments and the refusals an applicant meets."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from grants.enums import ApplicationState, CommentVisibility
from grants.models import Application, Attachment, BudgetLine, CallForm
from grants.services import applications as svc
from grants.services.errors import AlreadyApplied, SubmissionRefused, TransitionRefused
from tests.factories import ApplicationFactory, CallFactory, CommunityFactory


@pytest.fixture(autouse=True)
def _english_messages():
    """These tests read the reasons' English msgids; zh_Hans wording is covered by test_translations."""
    with translation.override("en"):
        yield


S = ApplicationState
pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def docx_bytes(part="word/document.xml") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<document/>")
    return buffer.getvalue()


# --- start_application ---------------------------------------------------------------------------


def test_member_starts_a_draft_with_the_current_form_version(applicant, organisation):
    call = CallFactory()
    CallForm.objects.create(call=call, version=1, questions=[])
    latest = CallForm.objects.create(call=call, version=2, questions=[])
    application = svc.start_application(call=call, organisation=organisation, actor=applicant)
    assert application.state == S.DRAFT
    assert application.form == latest
    assert application.created_by == applicant


def test_pressing_apply_twice_returns_the_same_draft(applicant, organisation):
    call = CallFactory()
    first = svc.start_application(call=call, organisation=organisation, actor=applicant)
    second = svc.start_application(call=call, organisation=organisation, actor=applicant)
    assert first.pk == second.pk
    assert Application.objects.filter(call=call).count() == 1


def test_second_application_after_submitting_is_refused_with_the_reference(applicant, organisation):
    application = ApplicationFactory(organisation=organisation, state=S.SUBMITTED)
    with pytest.raises(AlreadyApplied) as refused:
        svc.start_application(call=application.call, organisation=organisation, actor=applicant)
    assert application.reference in str(refused.value)
    assert refused.value.application == application
    assert Application.objects.filter(call=application.call).count() == 1


def test_call_allowing_several_applications_starts_another(applicant, organisation):
    call = CallFactory(one_application_per_organisation=False)
    first = svc.start_application(call=call, organisation=organisation, actor=applicant)
    second = svc.start_application(call=call, organisation=organisation, actor=applicant)
    assert first.pk != second.pk


def test_outsider_cannot_start_an_application_for_another_organisation(outsider, organisation):
    with pytest.raises(PermissionDenied):
        svc.start_application(call=CallFactory(), organisation=organisation, actor=outsider)


def test_officer_cannot_start_an_application(officer, organisation):
    with pytest.raises(PermissionDenied):
        svc.start_application(call=CallFactory(), organisation=organisation, actor=officer)


@pytest.mark.parametrize(
    ("opens", "closes"),
    [(timedelta(days=3), timedelta(days=30)), (-timedelta(days=30), -timedelta(days=1))],
    ids=["upcoming", "closed"],
)
def test_no_draft_outside_the_application_window(applicant, organisation, opens, closes):
    now = timezone.now()
    call = CallFactory(opens_at=now + opens, closes_at=now + closes)
    with pytest.raises(TransitionRefused, match="not open"):
        svc.start_application(call=call, organisation=organisation, actor=applicant)
    assert not Application.objects.exists()


# --- save_draft ------------------------------------------------------------------------------------


def test_autosave_keeps_partial_work_and_totals_the_budget(applicant, organisation):
    application = ApplicationFactory(organisation=organisation, budget=False, summary="")
    community = CommunityFactory()
    saved = svc.save_draft(
        application=application,
        actor=applicant,
        fields={"title": "青少年课后作业辅导班", "beneficiaries_count": "45"},
        budget_lines=[
            {
                "category": "activity",
                "description": "学习用品",
                "amount": "12,000",
                "matching_amount": "3000",
            },
            {"category": "personnel", "description": "辅导老师补贴", "amount": "3000.50"},
            {"category": "other", "description": "", "amount": ""},  # an empty row being typed
        ],
        extra_answers={"q1": "是"},
        partner_community_ids=[community.pk],
    )
    saved = Application.objects.get(pk=saved.pk)
    assert saved.title == "青少年课后作业辅导班"
    assert saved.summary == ""  # incomplete is fine
    assert saved.beneficiaries_count == 45
    assert saved.requested_amount == Decimal("15000.50")
    assert saved.matching_amount == Decimal("3000")
    assert BudgetLine.objects.filter(application=saved).count() == 2
    assert saved.extra_answers == {"q1": "是"}
    assert list(saved.partner_communities.all()) == [community]
    assert saved.last_saved_at is not None


def test_autosave_with_a_bad_amount_changes_nothing(applicant, organisation):
    application = ApplicationFactory(organisation=organisation)
    with pytest.raises(ValidationError) as error:
        svc.save_draft(
            application=application,
            actor=applicant,
            fields={"title": "新标题"},
            budget_lines=[{"category": "activity", "description": "物资", "amount": "一万"}],
        )
    assert "budget_lines-0-amount" in error.value.message_dict
    unchanged = Application.objects.get(pk=application.pk)
    assert unchanged.title == application.title
    assert unchanged.requested_amount == Decimal("20000")


def test_autosave_refuses_unknown_fields(applicant, organisation):
    application = ApplicationFactory(organisation=organisation)
    with pytest.raises(ValidationError):
        svc.save_draft(application=application, actor=applicant, fields={"state": "approved"})


def test_submitted_application_cannot_be_edited(applicant, organisation):
    application = ApplicationFactory(organisation=organisation, state=S.SUBMITTED)
    with pytest.raises(TransitionRefused):
        svc.save_draft(application=application, actor=applicant, fields={"title": "改"})


@pytest.mark.parametrize("who", ["outsider", "officer"])
def test_only_members_edit_a_draft(who, request, organisation):
    application = ApplicationFactory(organisation=organisation)
    with pytest.raises(PermissionDenied):
        svc.save_draft(
            application=application, actor=request.getfixturevalue(who), fields={"title": "x"}
        )


# --- Refusals at submission -------------------------------------------------------------------------


def test_late_submission_is_refused_with_the_deadline_and_the_draft_is_intact(
    applicant, organisation
):
    now = timezone.now()
    call = CallFactory(opens_at=now - timedelta(days=30), closes_at=now - timedelta(minutes=5))
    application = ApplicationFactory(call=call, organisation=organisation)
    with pytest.raises(SubmissionRefused) as refused:
        svc.submit_application(application=application, actor=applicant)
    assert [r.code for r in refused.value.failures] == ["deadline"]
    assert "deadline" in str(refused.value).lower()
    draft = Application.objects.get(pk=application.pk)
    assert draft.state == S.DRAFT
    assert draft.title == application.title
    assert draft.submitted_at is None


def test_grace_minutes_still_accept_a_submission(applicant, organisation):
    now = timezone.now()
    call = CallFactory(
        opens_at=now - timedelta(days=30), closes_at=now - timedelta(minutes=5), grace_minutes=10
    )
    application = ApplicationFactory(call=call, organisation=organisation)
    assert svc.submit_application(application=application, actor=applicant).state == S.SUBMITTED


def test_budget_over_the_cap_is_refused_with_the_amounts(applicant, organisation):
    application = ApplicationFactory(organisation=organisation)
    application = svc.save_draft(
        application=application,
        actor=applicant,
        fields={},
        budget_lines=[{"category": "activity", "description": "活动", "amount": "35000"}],
    )
    with pytest.raises(SubmissionRefused) as refused:
        svc.submit_application(application=application, actor=applicant)
    (failure,) = refused.value.failures
    assert failure.code == "max_grant"
    # The amounts are in the reason (grouping is ``grants.budget.yuan``'s business).
    assert "¥35" in failure.reason and "¥30" in failure.reason
    assert "000" in failure.reason.replace(",", "")
    assert Application.objects.get(pk=application.pk).state == S.DRAFT


def test_submission_stores_the_eligibility_results_for_the_officer(applicant, organisation):
    application = ApplicationFactory(organisation=organisation)
    submitted = svc.submit_application(application=application, actor=applicant)
    stored = Application.objects.get(pk=submitted.pk).eligibility
    codes = {item["code"] for item in stored}
    assert {"deadline", "credit_code", "blacklists", "max_grant", "required_sections"} <= codes
    assert all(item["passed"] for item in stored if item["severity"] == "hard")
    assert submitted.submitted_at is not None


# --- Attachments ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("计划书.pdf", PDF, "application/pdf"),
        ("照片.PNG", PNG, "image/png"),
        (
            "方案.docx",
            docx_bytes(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    ],
)
def test_accepted_files_are_stored_privately_with_their_hash(
    applicant, organisation, name, content, content_type
):
    import hashlib

    application = ApplicationFactory(organisation=organisation)
    attachment = svc.add_attachment(
        application=application,
        actor=applicant,
        uploaded_file=SimpleUploadedFile(name, content, content_type="application/octet-stream"),
        kind="plan",
    )
    assert attachment.original_name == name
    assert attachment.content_type == content_type
    assert attachment.size == len(content)
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    with attachment.file.open("rb") as stored:
        assert stored.read() == content
    assert not attachment.file.name.endswith(name)  # stored under a random name
    assert not attachment.file.path.startswith(str(settings.MEDIA_ROOT))  # never under MEDIA_URL
    attachment.file.delete(save=False)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("病毒.exe", b"MZ\x90\x00", "not an accepted type"),
        ("伪装.pdf", b"MZ\x90\x00 not a pdf", "not a real PDF"),
        ("伪装.docx", docx_bytes("xl/workbook.xml"), "not a real DOCX"),
        ("空.pdf", b"", "empty"),
    ],
)
def test_wrong_files_are_refused_and_nothing_is_stored(
    applicant, organisation, name, content, message
):
    application = ApplicationFactory(organisation=organisation)
    with pytest.raises(ValidationError, match=message):
        svc.add_attachment(
            application=application,
            actor=applicant,
            uploaded_file=SimpleUploadedFile(name, content),
            kind="plan",
        )
    assert not Attachment.objects.exists()


def test_oversize_file_is_refused_with_the_limit(applicant, organisation):
    call = CallFactory(max_attachment_mb=1)
    application = ApplicationFactory(call=call, organisation=organisation)
    big = PDF + b"0" * (1024 * 1024)
    with pytest.raises(ValidationError, match="at most 1 MB"):
        svc.add_attachment(
            application=application,
            actor=applicant,
            uploaded_file=SimpleUploadedFile("大文件.pdf", big),
            kind="plan",
        )
    assert not Attachment.objects.exists()


def test_outsider_cannot_attach_files(outsider, organisation):
    application = ApplicationFactory(organisation=organisation)
    with pytest.raises(PermissionDenied):
        svc.add_attachment(
            application=application,
            actor=outsider,
            uploaded_file=SimpleUploadedFile("a.pdf", PDF),
            kind="plan",
        )


def test_removing_an_attachment_deletes_row_and_file(
    applicant, organisation, django_capture_on_commit_callbacks
):
    application = ApplicationFactory(organisation=organisation)
    attachment = svc.add_attachment(
        application=application,
        actor=applicant,
        uploaded_file=SimpleUploadedFile("a.pdf", PDF),
        kind="plan",
    )
    storage, name = attachment.file.storage, attachment.file.name
    with django_capture_on_commit_callbacks(execute=True):
        svc.remove_attachment(attachment=attachment, actor=applicant)
    assert not Attachment.objects.exists()
    assert not storage.exists(name)


# --- Comments -----------------------------------------------------------------------------------------


def test_staff_only_comments_are_for_officers(applicant, officer, organisation):
    application = ApplicationFactory(organisation=organisation, state=S.SUBMITTED)
    comment = svc.add_comment(
        application=application,
        actor=officer,
        body="预算偏高，留意",
        visibility=CommentVisibility.STAFF,
    )
    assert comment.visibility == CommentVisibility.STAFF
    with pytest.raises(PermissionDenied):
        svc.add_comment(
            application=application,
            actor=applicant,
            body="内部?",
            visibility=CommentVisibility.STAFF,
        )


def test_outsider_cannot_comment(outsider, organisation):
    application = ApplicationFactory(organisation=organisation)
    with pytest.raises(PermissionDenied):
        svc.add_comment(
            application=application,
            actor=outsider,
            body="你好",
            visibility=CommentVisibility.APPLICANT,
        )


# --- Sniffing file types by their bytes ------------------------------------------------------------

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (PDF, "pdf"),
        (PNG, "png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
        (docx_bytes(), "docx"),
        (docx_bytes("xl/workbook.xml"), "xlsx"),
        (OLE2 + "WordDocument".encode("utf-16-le"), "doc"),
        (OLE2 + "Workbook".encode("utf-16-le"), "xls"),
        (OLE2, None),  # an OLE2 file that is neither (e.g. an .msg e-mail)
        (docx_bytes("ppt/presentation.xml"), None),
        (b"PK\x03\x04 broken zip", None),
        (b"<html><script>", None),
    ],
    ids=["pdf", "png", "jpeg", "docx", "xlsx", "doc", "xls", "ole2", "pptx", "badzip", "html"],
)
def test_sniff_recognises_files_by_their_bytes(content, kind):
    from grants.services.files import sniff

    assert sniff(io.BytesIO(content)) == kind


@pytest.mark.parametrize(
    ("name", "content"),
    [("表.xls", OLE2 + "Workbook".encode("utf-16-le")), ("图.JPEG", b"\xff\xd8\xff\xdb")],
)
def test_check_upload_accepts_matching_extension_and_content(name, content):
    from grants.services.files import check_upload

    checked = check_upload(SimpleUploadedFile(name, content), max_mb=20)
    assert checked.size == len(content)
    assert len(checked.sha256) == 64


def test_check_upload_refuses_word_file_named_as_excel():
    from grants.services.files import check_upload

    with pytest.raises(ValidationError, match="not a real XLS"):
        check_upload(
            SimpleUploadedFile("表.xls", OLE2 + "WordDocument".encode("utf-16-le")), max_mb=20
        )
