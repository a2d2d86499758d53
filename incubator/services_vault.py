"""Writes on an organisation's vault: documents, bank accounts and expiry reminders.

Each action checks its permission itself (views are not trusted), runs in one transaction and locks
the organisation row, so two members filing at once cannot both make an account primary. Files are
checked by content and size with the grants upload checks (``grants.services.files``), stored under
a random name in the private storage, and removed from storage only after the transaction commits.
"""

from __future__ import annotations

import os
import uuid
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.enums import EmailFrequency, Role
from accounts.models import User
from grants.services import files
from incubator.enums_incubation import VAULT_MAX_MB, VAULT_REMINDER_DAYS, DocumentKind
from incubator.models import BankAccount, Organisation, VaultDocument

REMINDER_VERB = "vault_expiry"


def _lock_organisation(organisation: Organisation | int) -> Organisation:
    pk = organisation.pk if isinstance(organisation, Organisation) else organisation
    return Organisation.objects.select_for_update().get(pk=pk)


def _require(actor, organisation: Organisation) -> None:
    if actor is None or not actor.has_perm("incubator.manage_vault", organisation):
        raise PermissionDenied(
            gettext_lazy("Only the organisation's members may change its vault.")
        )


# --- Documents -------------------------------------------------------------------------------------


def upload_document(
    *,
    organisation: Organisation,
    actor: User,
    uploaded_file,
    kind: str,
    title: str = "",
    year: int | None = None,
    issued_on: date | None = None,
    expires_on: date | None = None,
) -> VaultDocument:
    """File a document: its bytes must be an accepted type and at most ``VAULT_MAX_MB``.

    Nothing is stored when the file or the details are refused (``ValidationError`` keyed by field).
    """
    _require(actor, organisation)  # before reading a byte of the upload
    errors: dict[str, str] = {}
    if kind not in DocumentKind.values:
        errors["kind"] = _("Choose what kind of document this is.")
    title = (title or "").strip()
    if kind == DocumentKind.OTHER and not title:
        errors["title"] = _("Say what the document is.")
    if kind == DocumentKind.ANNUAL_REPORT and not year:
        errors["year"] = _("Give the year the annual report covers.")
    if issued_on and expires_on and expires_on < issued_on:
        errors["expires_on"] = _("A document cannot expire before it was issued.")
    if errors:
        raise ValidationError(errors)
    try:
        checked = files.check_upload(uploaded_file, max_mb=VAULT_MAX_MB)
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from None
    with transaction.atomic():
        organisation = _lock_organisation(organisation)
        _require(actor, organisation)
        if (
            kind == DocumentKind.ANNUAL_REPORT
            and VaultDocument.objects.filter(
                organisation=organisation, kind=kind, year=year
            ).exists()
        ):
            raise ValidationError(
                {"year": _("There is already an annual report for this year; remove it first.")}
            )
        document = VaultDocument(
            organisation=organisation,
            kind=kind,
            title=title[:200],
            year=year or None,
            original_name=os.path.basename(uploaded_file.name or "file")[-255:],
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
            issued_on=issued_on,
            expires_on=expires_on,
            uploaded_by=actor,
        )
        uploaded_file.seek(0)
        # The stored name is random: people's file names are kept for display only.
        document.file.save(f"{uuid.uuid4().hex}{checked.extension}", uploaded_file, save=False)
        stored = document.file.name
        try:
            with transaction.atomic():
                document.save()
        except Exception:
            document.file.storage.delete(stored)
            raise
    return document


def delete_document(*, document: VaultDocument, actor: User) -> None:
    """Remove a document; the file leaves the storage once the removal is committed."""
    with transaction.atomic():
        organisation = _lock_organisation(document.organisation_id)
        _require(actor, organisation)
        document = VaultDocument.objects.filter(pk=document.pk, organisation=organisation).first()
        if document is None:
            return  # removed already: a second click changes nothing
        storage, name = document.file.storage, document.file.name
        document.delete()
        transaction.on_commit(lambda: storage.delete(name))


# --- Bank accounts ---------------------------------------------------------------------------------


def _clean_number(number: str) -> str:
    return "".join((number or "").split()).replace("-", "")


def add_bank_account(
    *,
    organisation: Organisation,
    actor: User,
    account_name: str,
    bank_name: str,
    account_number: str,
    make_primary: bool = False,
) -> BankAccount:
    """Add an account; the first account of an organisation is its primary one."""
    with transaction.atomic():
        organisation = _lock_organisation(organisation)
        _require(actor, organisation)
        account = BankAccount(
            organisation=organisation,
            account_name=(account_name or "").strip(),
            bank_name=(bank_name or "").strip(),
            account_number=_clean_number(account_number),
            created_by=actor,
        )
        account.full_clean(exclude=["organisation", "created_by", "is_primary"])
        has_primary = BankAccount.objects.filter(organisation=organisation, is_primary=True)
        if make_primary:
            has_primary.update(is_primary=False)
            account.is_primary = True
        else:
            account.is_primary = not has_primary.exists()
        try:
            with transaction.atomic():
                account.save()
        except IntegrityError:
            raise ValidationError(
                {"account_number": _("This account is already on file.")}
            ) from None
    return account


def make_primary_account(*, account: BankAccount, actor: User) -> BankAccount:
    """Make ``account`` the primary one (the previous primary stops being it, in one transaction)."""
    with transaction.atomic():
        organisation = _lock_organisation(account.organisation_id)
        _require(actor, organisation)
        account = BankAccount.objects.get(pk=account.pk, organisation=organisation)
        if account.is_primary:
            return account
        BankAccount.objects.filter(organisation=organisation, is_primary=True).update(
            is_primary=False
        )
        account.is_primary = True
        account.save(update_fields=["is_primary"])
    return account


def delete_bank_account(*, account: BankAccount, actor: User) -> None:
    """Remove an account; if it was primary, the oldest remaining account becomes primary."""
    with transaction.atomic():
        organisation = _lock_organisation(account.organisation_id)
        _require(actor, organisation)
        account = BankAccount.objects.filter(pk=account.pk, organisation=organisation).first()
        if account is None:
            return
        was_primary = account.is_primary
        account.delete()
        if was_primary:
            successor = (
                BankAccount.objects.filter(organisation=organisation)
                .order_by("created_at", "pk")
                .first()
            )
            if successor is not None:
                successor.is_primary = True
                successor.save(update_fields=["is_primary"])


# --- Expiry reminders ------------------------------------------------------------------------------


def _reminder_recipients(organisation_id: int):
    return User.objects.filter(
        is_active=True,
        memberships__is_active=True,
        memberships__role=Role.APPLICANT,
        memberships__organisation_id=organisation_id,
    ).distinct()


def _claim_due_documents(today: date) -> list[VaultDocument]:
    """Documents expiring within the window not yet reminded for this expiry date, claimed.

    The conditional UPDATE is the claim: of two runs racing over the same document only one sees
    a row count of 1, so each document is reminded exactly once per expiry date.
    """
    window_end = today + timedelta(days=VAULT_REMINDER_DAYS)
    candidates = list(
        VaultDocument.objects.filter(expires_on__gte=today, expires_on__lte=window_end)
        .filter(Q(reminded_for_expiry__isnull=True) | ~Q(reminded_for_expiry=F("expires_on")))
        .values_list("pk", "expires_on")
    )
    claimed = []
    for pk, expires_on in candidates:
        won = (
            VaultDocument.objects.filter(pk=pk, expires_on=expires_on)
            .filter(Q(reminded_for_expiry__isnull=True) | ~Q(reminded_for_expiry=expires_on))
            .update(reminded_for_expiry=expires_on)
        )
        if won:
            claimed.append(pk)
    return list(
        VaultDocument.objects.filter(pk__in=claimed).select_related("organisation").order_by("pk")
    )


def send_vault_reminders(*, today: date | None = None) -> int:
    """Tell the applicant members of each organisation about documents expiring within 30 days.

    Writes one in-app notification per member and document (in the member's language) and mails
    the members who want e-mail immediately, through the grants notification task, after commit.
    Returns the number of documents reminded; a second run on the same day returns 0.
    """
    from grants.models import Notification
    from grants.tasks import send_notification_emails

    today = today or timezone.localdate()
    with transaction.atomic():
        documents = _claim_due_documents(today)
        rows = []
        for document in documents:
            url = reverse("incubator:organisation_detail", args=[document.organisation_id])
            for user in _reminder_recipients(document.organisation_id):
                with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
                    values = {
                        "document": str(document),
                        "organisation": document.organisation.name,
                        "date": document.expires_on.isoformat(),
                        "days": (document.expires_on - today).days,
                    }
                    title = _("%(document)s of %(organisation)s expires on %(date)s") % values
                    body = (
                        _(
                            "%(document)s of %(organisation)s expires in %(days)d days, on %(date)s. "
                            "Upload the renewed document to the organisation's vault so that "
                            "applications can use it."
                        )
                        % values
                    )
                rows.append(
                    Notification(
                        recipient=user, verb=REMINDER_VERB, title=title[:300], body=body, url=url
                    )
                )
        rows = Notification.objects.bulk_create(rows)
        immediate = [
            row.pk
            for row in rows
            if row.recipient.email_frequency == EmailFrequency.IMMEDIATELY and row.recipient.email
        ]
        if immediate:
            transaction.on_commit(lambda: send_notification_emails.enqueue(immediate))
    return len(documents)
