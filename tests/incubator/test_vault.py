"""The organisation vault: documents, bank accounts, expiry reminders, track record."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.enums import EmailFrequency, Role
from grants.models import Notification
from incubator import services_vault
from incubator.enums_incubation import VAULT_MAX_MB, DocumentKind
from incubator.models import BankAccount, VaultDocument
from incubator.tasks_vault import send_vault_reminders as reminder_task
from tests.factories import ApplicationFactory, MembershipFactory, UserFactory
from tests.incubator.factories_incubation import (
    PDF,
    BankAccountFactory,
    IncubationApplicationFactory,
    VaultDocumentFactory,
)

pytestmark = pytest.mark.django_db


def _url(name, *args):
    return reverse(f"incubator:{name}", args=args)


def _pdf(name="章程.pdf", data=PDF):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


# --- Uploads ---------------------------------------------------------------------------------------


def test_member_files_a_document_in_private_storage(applicant, organisation):
    document = services_vault.upload_document(
        organisation=organisation,
        actor=applicant,
        uploaded_file=_pdf(),
        kind=DocumentKind.CHARTER,
        issued_on=date(2024, 3, 1),
    )
    assert document.original_name == "章程.pdf"
    assert document.content_type == "application/pdf"
    with pytest.raises(ValueError):  # private storage: no public URL
        document.file.url  # noqa: B018
    assert "章程" not in document.file.name  # stored under a random name
    with document.file.open("rb") as handle:
        assert handle.read() == PDF


def test_upload_with_a_lying_extension_is_refused(applicant, organisation):
    with pytest.raises(ValidationError) as error:
        services_vault.upload_document(
            organisation=organisation,
            actor=applicant,
            uploaded_file=SimpleUploadedFile("章程.pdf", b"MZ\x90\x00 not a pdf"),
            kind=DocumentKind.CHARTER,
        )
    assert "file" in error.value.message_dict
    assert not VaultDocument.objects.exists()


def test_upload_of_an_unaccepted_type_is_refused(applicant, organisation):
    with pytest.raises(ValidationError) as error:
        services_vault.upload_document(
            organisation=organisation,
            actor=applicant,
            uploaded_file=SimpleUploadedFile("run.exe", b"MZ\x90\x00"),
            kind=DocumentKind.OTHER,
            title="程序",
        )
    assert "file" in error.value.message_dict


def test_upload_over_the_size_limit_is_refused(applicant, organisation):
    big = _pdf()
    big.size = VAULT_MAX_MB * 1024 * 1024 + 1  # the size the upload handler reports
    with pytest.raises(ValidationError) as error:
        services_vault.upload_document(
            organisation=organisation, actor=applicant, uploaded_file=big, kind=DocumentKind.CHARTER
        )
    assert f"{VAULT_MAX_MB} MB" in " ".join(error.value.message_dict["file"])
    assert not VaultDocument.objects.exists()


def test_annual_report_needs_its_year_once(applicant, organisation):
    with pytest.raises(ValidationError) as error:
        services_vault.upload_document(
            organisation=organisation, actor=applicant, uploaded_file=_pdf("年报.pdf"), kind=DocumentKind.ANNUAL_REPORT
        )  # fmt: skip
    assert "year" in error.value.message_dict
    services_vault.upload_document(
        organisation=organisation, actor=applicant, uploaded_file=_pdf("年报.pdf"), kind=DocumentKind.ANNUAL_REPORT, year=2025
    )  # fmt: skip
    with pytest.raises(ValidationError):
        services_vault.upload_document(
            organisation=organisation, actor=applicant, uploaded_file=_pdf("年报.pdf"), kind=DocumentKind.ANNUAL_REPORT, year=2025
        )  # fmt: skip


def test_upload_through_the_page_shows_the_error(client, applicant, organisation):
    client.force_login(applicant)
    client.cookies["django_language"] = "en"
    response = client.post(
        _url("vault_upload", organisation.pk),
        {"kind": "charter", "file": SimpleUploadedFile("章程.pdf", b"not really a pdf")},
    )
    assert response.status_code == 400
    assert "is not a real PDF file" in response.content.decode()


def test_upload_through_the_page_lands_on_the_organisation(client, applicant, organisation):
    client.force_login(applicant)
    response = client.post(
        _url("vault_upload", organisation.pk),
        {"kind": "registration", "file": _pdf("登记证书.pdf"), "expires_on": "2029-06-30"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"/me/organisations/{organisation.pk}/#vault")
    page = client.get(_url("organisation_detail", organisation.pk)).content.decode()
    assert "登记证书.pdf" in page


def test_officer_may_view_and_download_but_not_change(client, officer, organisation):
    document = VaultDocumentFactory(organisation=organisation)
    client.force_login(officer)
    assert "章程.pdf" in client.get(_url("organisation_detail", organisation.pk)).content.decode()
    response = client.get(_url("vault_download", organisation.pk, document.pk))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert (
        client.post(_url("vault_delete_document", organisation.pk, document.pk)).status_code == 403
    )
    assert (
        client.post(
            _url("vault_upload", organisation.pk), {"kind": "charter", "file": _pdf()}
        ).status_code
        == 403
    )


def test_outsider_gets_404_everywhere_in_the_vault(client, outsider, organisation):
    document = VaultDocumentFactory(organisation=organisation)
    account = BankAccountFactory(organisation=organisation, is_primary=True)
    client.force_login(outsider)
    for url in (
        _url("vault", organisation.pk),
        _url("vault_download", organisation.pk, document.pk),
    ):
        assert client.get(url).status_code == 404
    for url in (
        _url("vault_upload", organisation.pk),
        _url("vault_delete_document", organisation.pk, document.pk),
        _url("vault_add_account", organisation.pk),
        _url("vault_primary_account", organisation.pk, account.pk),
        _url("vault_delete_account", organisation.pk, account.pk),
    ):
        assert client.post(url).status_code == 404
    assert VaultDocument.objects.filter(pk=document.pk).exists()


def test_anonymous_is_sent_to_login(client, organisation):
    document = VaultDocumentFactory(organisation=organisation)
    response = client.get(_url("vault_download", organisation.pk, document.pk))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_member_removes_a_document_and_its_file(
    client, applicant, organisation, django_capture_on_commit_callbacks
):
    document = services_vault.upload_document(
        organisation=organisation, actor=applicant, uploaded_file=_pdf(), kind=DocumentKind.CHARTER
    )
    storage, name = document.file.storage, document.file.name
    client.force_login(applicant)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url("vault_delete_document", organisation.pk, document.pk))
    assert not VaultDocument.objects.exists()
    assert not storage.exists(name)


# --- Bank accounts -----------------------------------------------------------------------------------


def test_account_number_is_masked_for_officers_and_shown_to_members(
    client, applicant, officer, organisation
):
    BankAccountFactory(
        organisation=organisation, account_number="6222023100012345678", is_primary=True
    )
    client.force_login(officer)
    page = client.get(_url("organisation_detail", organisation.pk)).content.decode()
    assert "6222023100012345678" not in page
    assert "**** **** 5678" in page

    client.force_login(applicant)
    page = client.get(_url("organisation_detail", organisation.pk)).content.decode()
    assert "6222023100012345678" in page


def test_first_account_is_primary_and_making_another_primary_moves_the_flag(
    applicant, organisation
):
    first = services_vault.add_bank_account(
        organisation=organisation, actor=applicant, account_name="机构", bank_name="工行", account_number="6222 0231 0001 2345"
    )  # fmt: skip
    second = services_vault.add_bank_account(
        organisation=organisation, actor=applicant, account_name="机构", bank_name="建行", account_number="6217000010001234"
    )  # fmt: skip
    assert first.is_primary and not second.is_primary
    assert first.account_number == "6222023100012345"

    services_vault.make_primary_account(account=second, actor=applicant)

    assert list(BankAccount.objects.filter(is_primary=True).values_list("pk", flat=True)) == [
        second.pk
    ]
    services_vault.delete_bank_account(account=second, actor=applicant)
    first.refresh_from_db()
    assert first.is_primary


def test_database_holds_one_primary_account_per_organisation(organisation):
    BankAccountFactory(organisation=organisation, is_primary=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        BankAccountFactory(organisation=organisation, is_primary=True)


def test_bad_account_number_is_refused(applicant, organisation):
    with pytest.raises(ValidationError) as error:
        services_vault.add_bank_account(
            organisation=organisation, actor=applicant, account_name="机构", bank_name="工行", account_number="12ab"
        )  # fmt: skip
    assert "account_number" in error.value.message_dict


def test_same_account_twice_is_refused(applicant, organisation):
    kwargs = {
        "organisation": organisation,
        "actor": applicant,
        "account_name": "机构",
        "bank_name": "工行",
    }
    services_vault.add_bank_account(account_number="6222023100012345", **kwargs)
    with pytest.raises(ValidationError):
        services_vault.add_bank_account(account_number="6222023100012345", **kwargs)


def test_officer_cannot_add_an_account(officer, organisation):
    with pytest.raises(PermissionDenied):
        services_vault.add_bank_account(
            organisation=organisation, actor=officer, account_name="x", bank_name="y", account_number="62220231000123"
        )  # fmt: skip


# --- Expiry reminders --------------------------------------------------------------------------------


def test_reminder_goes_once_to_each_applicant_member_30_days_before(applicant, organisation, django_capture_on_commit_callbacks):  # fmt: skip
    # given: a second applicant member, a social worker (not told), and three documents
    today = date(2026, 3, 1)
    colleague = UserFactory(email_frequency=EmailFrequency.IMMEDIATELY)
    MembershipFactory(user=colleague, organisation=organisation, role=Role.APPLICANT)
    MembershipFactory(user=UserFactory(), organisation=organisation, role=Role.SOCIAL_WORKER)
    due = VaultDocumentFactory(organisation=organisation, kind=DocumentKind.RATING, expires_on=today + timedelta(days=30))  # fmt: skip
    VaultDocumentFactory(
        organisation=organisation, expires_on=today + timedelta(days=31)
    )  # not yet
    VaultDocumentFactory(
        organisation=organisation, expires_on=today - timedelta(days=1)
    )  # expired already

    # when: the reminders run twice the same day, and again the next day
    with django_capture_on_commit_callbacks(execute=True):
        first = services_vault.send_vault_reminders(today=today)
    second = services_vault.send_vault_reminders(today=today)
    third = services_vault.send_vault_reminders(today=today + timedelta(days=1))

    # then: one reminder per member for the one document in the window, mailed once; the next
    # day only the document that has just entered the window is reminded
    assert (first, second, third) == (1, 0, 1)
    notes = Notification.objects.filter(
        verb=services_vault.REMINDER_VERB, title__contains="2026-03-31"
    )
    assert sorted(notes.values_list("recipient_id", flat=True)) == sorted(
        [applicant.pk, colleague.pk]
    )
    assert len([m for m in mail.outbox if "2026-03-31" in m.subject]) == 2
    due.refresh_from_db()
    assert due.reminded_for_expiry == due.expires_on


def test_renewed_document_gets_its_own_reminder(applicant, organisation):
    today = date(2026, 3, 1)
    document = VaultDocumentFactory(
        organisation=organisation, expires_on=today + timedelta(days=10)
    )
    assert services_vault.send_vault_reminders(today=today) == 1

    VaultDocument.objects.filter(pk=document.pk).update(expires_on=today + timedelta(days=400))
    assert services_vault.send_vault_reminders(today=today + timedelta(days=380)) == 1
    assert (
        Notification.objects.filter(recipient=applicant, verb=services_vault.REMINDER_VERB).count()
        == 2
    )


def test_command_and_task_send_the_reminders_once(applicant, organisation):
    VaultDocumentFactory(
        organisation=organisation, expires_on=timezone.localdate() + timedelta(days=5)
    )
    out = StringIO()
    call_command("send_vault_reminders", stdout=out)
    assert "Reminded 1 document(s)." in out.getvalue()
    assert reminder_task.call() == 0
    call_command("send_vault_reminders", "--today", "2020-01-01", stdout=out)
    assert Notification.objects.filter(verb=services_vault.REMINDER_VERB).count() == 1


# --- Track record -------------------------------------------------------------------------------------


def test_track_record_lists_funded_and_finished_projects_and_incubation(
    client, applicant, organisation
):
    completed = ApplicationFactory(
        organisation=organisation, state="completed", title="楼道守望项目"
    )
    ApplicationFactory(organisation=organisation, state="draft", title="还在草稿的项目")
    IncubationApplicationFactory(
        organisation=organisation, state="graduated", graduated_on=date(2025, 12, 1)
    )
    client.force_login(applicant)
    page = client.get(_url("organisation_detail", organisation.pk)).content.decode()
    assert "楼道守望项目" in page
    assert completed.call.title in page
    assert "还在草稿的项目" not in page
    assert "2025-12-01" in page


def test_organisation_page_costs_the_same_for_1_and_30_rows(client, officer, organisation, django_assert_max_num_queries):  # fmt: skip
    def add_rows():
        VaultDocumentFactory(organisation=organisation)
        BankAccountFactory(organisation=organisation)
        ApplicationFactory(organisation=organisation, state="completed")
        IncubationApplicationFactory(organisation=organisation, state="withdrawn")
        MembershipFactory(organisation=organisation, role=Role.APPLICANT)

    add_rows()
    client.force_login(officer)
    url = _url("organisation_detail", organisation.pk)
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(29):
        add_rows()
    with django_assert_max_num_queries(len(one)):
        assert client.get(url).status_code == 200


# --- Graduates and grant eligibility ---------------------------------------------------------------------


def test_graduates_pass_the_incubation_rule_of_calls_that_require_it(organisation):
    from grants.eligibility import evaluate
    from incubator.selectors_incubation import graduated_organisation_ids

    application = ApplicationFactory(
        organisation=organisation, call__requires_incubation_graduate=True
    )
    now = timezone.now()
    rule = {r.code: r for r in evaluate(application, now=now)}["incubation_graduate"]
    assert rule.blocks

    IncubationApplicationFactory(
        organisation=organisation, state="graduated", graduated_on=date(2025, 12, 1)
    )
    assert organisation.pk in graduated_organisation_ids()
    rule = {r.code: r for r in evaluate(application, now=now)}["incubation_graduate"]
    assert rule.passed
    assert "2025-12-01" in rule.reason


def test_calls_that_do_not_require_it_have_no_incubation_rule(organisation):
    from grants.eligibility import evaluate

    application = ApplicationFactory(organisation=organisation)
    assert "incubation_graduate" not in {r.code for r in evaluate(application, now=timezone.now())}
