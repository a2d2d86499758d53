"""签约: the officer issues the grant agreement of an approved application; the organisation accepts it.

Lock order (the same in every funding service): application → agreement → tranche → disbursement.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from grants.agreements_pdf import AGREEMENT_LANGUAGE, render_agreement_pdf, split_award
from grants.enums import AgreementState, ApplicationState, LedgerKind, TrancheCondition
from grants.models import Agreement, Application, Tranche
from grants.services import notifications_funding
from grants.services.applications import _lock_application, _run_transition
from grants.services.errors import TransitionRefused
from grants.services.ledger import award_key, clean_amount, post_entry
from grants.services.tranches import open_tranches

S = ApplicationState


def default_reporting_duties() -> str:
    with translation.override(AGREEMENT_LANGUAGE):
        return gettext(
            "Party B submits a progress report every quarter, a mid-term report before the "
            "mid-term evaluation, and a final report with the accounts within one month of the "
            "project's end; activity records, sign-in sheets, photos and receipts are kept as "
            "evidence and shown on request."
        )


def vault_account(organisation):
    """The organisation's primary bank account in its vault (or its only one), or None."""
    accounts = getattr(organisation, "bank_accounts", None)
    if accounts is None:
        return None
    return accounts.order_by("-is_primary", "pk").first()


def agreement_number(application: Application, when) -> str:
    return f"GA-{timezone.localdate(when):%Y}-{application.pk:05d}"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def issue_agreement(
    *,
    application: Application,
    actor,
    starts_on: date,
    ends_on: date,
    award_amount=None,
    account_name: str = "",
    account_bank: str = "",
    account_number: str = "",
    reporting_duties: str = "",
) -> Agreement:
    """Generate (or re-issue, as version + 1) the agreement PDF of an approved application.

    The award defaults to the amount requested; it must be more than zero and at most the call's
    maximum grant. The dedicated account comes from what the officer enters, else from the
    organisation's vault. Once accepted, the agreement is frozen.
    """
    with transaction.atomic():
        application = _lock_application(application)
        if actor is None or not actor.has_perm("grants.issue_agreement", application):
            raise PermissionDenied(_("Only programme officers issue grant agreements."))
        if application.state != S.APPROVED:
            raise TransitionRefused(
                _("An agreement is issued only for an approved application (it is “%(state)s”).")
                % {"state": application.get_state_display()},
                application=application,
            )
        agreement = Agreement.objects.select_for_update().filter(application=application).first()
        if agreement is not None and agreement.state == AgreementState.ACCEPTED:
            raise TransitionRefused(
                _("The agreement was accepted on %(when)s; it can no longer be changed.")
                % {"when": timezone.localtime(agreement.accepted_at).strftime("%Y-%m-%d %H:%M")},
                application=application,
            )
        award = _clean_award(award_amount, application)
        errors = {}
        if not starts_on:
            errors["starts_on"] = _("Enter the date the project starts.")
        if not ends_on:
            errors["ends_on"] = _("Enter the date the project ends.")
        elif starts_on and ends_on <= starts_on:
            errors["ends_on"] = _("The project must end after it starts.")
        account = _account(application, account_name, account_bank, account_number, errors)
        if errors:
            raise ValidationError(errors)
        now = timezone.now()
        if agreement is None:
            agreement = Agreement(
                application=application, number=agreement_number(application, now), version=1
            )
        else:
            agreement.version += 1
        agreement.state = AgreementState.ISSUED
        agreement.award_amount = award
        agreement.starts_on = starts_on
        agreement.ends_on = ends_on
        agreement.reporting_duties = (reporting_duties or "").strip() or default_reporting_duties()
        agreement.account_name, agreement.account_bank, agreement.account_number = account
        agreement.issued_at = now
        agreement.issued_by = actor
        agreement.save()
        write_pdf(agreement)
        notifications_funding.agreement_issued(agreement)
    return agreement


def write_pdf(agreement: Agreement) -> Agreement:
    """Render the agreement, store it privately and record its SHA-256."""
    data = render_agreement_pdf(agreement)
    agreement.pdf.save(
        f"agreement-{agreement.number}-v{agreement.version}.pdf", ContentFile(data), save=False
    )
    agreement.pdf_sha256 = _sha256(data)
    agreement.save(update_fields=["pdf", "pdf_sha256"])
    return agreement


def _clean_award(value, application: Application) -> Decimal:
    if value in (None, ""):
        value = application.requested_amount
    award = clean_amount(value, field="award_amount")
    if award > application.call.max_grant:
        raise ValidationError(
            {
                "award_amount": _("The grant may be at most the call's maximum, ¥%(max)s.")
                % {"max": f"{application.call.max_grant:,.2f}"}
            }
        )
    if any(amount <= 0 for amount in split_award(award, application.call.tranche_schedule)):
        raise ValidationError(
            {"award_amount": _("This grant is too small to split into the call's tranches.")}
        )
    return award


def _account(application, name, bank, number, errors) -> tuple[str, str, str]:
    entered = [(v or "").strip() for v in (name, bank, number)]
    if any(entered):
        for field, value in zip(
            ("account_name", "account_bank", "account_number"), entered, strict=True
        ):
            if not value:
                errors[field] = _("Enter the dedicated account completely (holder, bank, number).")
        return tuple(entered)
    stored = vault_account(application.organisation)
    if stored is None:
        errors["account_number"] = _(
            "The organisation has no bank account on file: enter the dedicated account."
        )
        return ("", "", "")
    return (stored.account_name, stored.bank_name, stored.account_number)


def pdf_bytes(agreement: Agreement) -> bytes:
    with agreement.pdf.open("rb") as handle:
        return handle.read()


def accept_agreement(
    *,
    agreement: Agreement,
    actor,
    agreed: bool,
    pdf_sha256: str,
    ip: str | None = None,
    user_agent: str = "",
) -> Agreement:
    """The organisation accepts the agreement online; the application becomes ``contracted``.

    Records who, when, from which address and browser, and the fingerprint of the PDF (re-computed
    from the stored file: it must be the version the member read). Then creates the tranches from
    the call's schedule, posts the award to the ledger and opens the on-signing tranches.
    Accepting twice changes nothing.
    """
    with transaction.atomic():
        application = _lock_application(agreement.application_id)
        if actor is None or not actor.has_perm("grants.accept_agreement", application):
            raise PermissionDenied(_("Only members of the organisation can accept its agreement."))
        agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
        if agreement.state == AgreementState.ACCEPTED:
            return agreement
        if agreement.state != AgreementState.ISSUED or application.state != S.APPROVED:
            raise TransitionRefused(
                _("This agreement cannot be accepted now."), application=application
            )
        if not agreed:
            raise ValidationError(
                {"agree": _("Tick “I have read and agree” to accept the agreement.")}
            )
        if not pdf_sha256 or pdf_sha256 != agreement.pdf_sha256:
            raise TransitionRefused(
                _(
                    "The agreement was re-issued after you opened it. Read the new version "
                    "and accept that one."
                ),
                application=application,
            )
        try:
            stored = _sha256(pdf_bytes(agreement))
        except (FileNotFoundError, ValueError):
            stored = ""
        if stored != agreement.pdf_sha256:
            raise TransitionRefused(
                _(
                    "The stored agreement does not match its fingerprint. Nothing was accepted; "
                    "please contact the programme office."
                ),
                application=application,
            )
        now = timezone.now()
        agreement.state = AgreementState.ACCEPTED
        agreement.accepted_at = now
        agreement.accepted_by = actor
        agreement.accepted_ip = ip or None
        agreement.accepted_user_agent = (user_agent or "")[:300]
        agreement.accepted_pdf_sha256 = stored
        agreement.accepted_version = agreement.version
        agreement.save()
        _create_tranches(agreement, application)
        post_entry(
            kind=LedgerKind.AWARD,
            amount=agreement.award_amount,
            currency=agreement.currency,
            programme=application.call.programme,
            application=application,
            idempotency_key=award_key(agreement),
            occurred_at=now,
            recorded_by=actor,
            external_reference=agreement.number,
            memo=f"{agreement.number} v{agreement.version}",
        )
        open_tranches(application=application, condition=TrancheCondition.ON_SIGNING, when=now)
        _run_transition(
            application,
            name="sign_agreement",
            actor=actor,
            target=S.CONTRACTED,
            description=gettext("Agreement %(number)s accepted online")
            % {"number": agreement.number},
        )
    return agreement


def _create_tranches(agreement: Agreement, application: Application) -> list[Tranche]:
    schedule = application.call.tranche_schedule
    amounts = split_award(agreement.award_amount, schedule)
    return Tranche.objects.bulk_create(
        Tranche(
            agreement=agreement,
            application=application,
            number=number,
            percent=row["percent"],
            amount=amount,
            condition=row["condition"],
        )
        for number, (row, amount) in enumerate(zip(schedule, amounts, strict=True), start=1)
    )
