"""Public donation pages, the Stripe webhook and the officer's refund action.

/projects/<pk>/donate/ and /programmes/<pk>/donate/ → (a PaymentIntent and a pending donation)
→ /donations/<uuid>/pay/ (Stripe's Payment Element, or the test-card form against a local Stripe
server: see ``grants.stripe_gateway``) → /donations/<uuid>/thanks/, which shows the status the
webhook recorded. The donation pages are public; the uuid in the payment pages is not guessable.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from grants import stripe_gateway
from grants.forms_donations import PRESETS, DonationForm, RefundForm, TestCardForm
from grants.models import Donation, Programme
from grants.models.donations import DonationStatus
from grants.selectors_donations import (
    donatable_applications,
    donatable_programmes,
    donation_totals,
    matched_by_payment_intent,
    pool_totals,
    staff_donations,
)
from grants.services import donations as svc
from grants.services.errors import TransitionRefused
from grants.views.public_notice import client_ip

logger = logging.getLogger(__name__)


def _totals_for(*, application=None, programme=None) -> dict:
    if application is not None:
        return donation_totals([application.pk])[application.pk]
    return pool_totals([programme.pk])[programme.pk]


def donate_project(request, pk: int):
    application = get_object_or_404(donatable_applications(), pk=pk)
    return _donate(request, application=application)


def donate_programme(request, pk: int):
    programme = get_object_or_404(donatable_programmes(), pk=pk)
    return _donate(request, programme=programme)


def _donate(request, *, application=None, programme=None):
    enabled = stripe_gateway.donations_enabled()
    form = DonationForm(request.POST or None)
    refusal = ""
    if request.method == "POST" and enabled and form.is_valid():
        data = form.cleaned_data
        try:
            donation = svc.start_donation(
                amount=data["amount"],
                application=application,
                programme=programme,
                donor_name=data["donor_name"],
                donor_email=data["donor_email"],
                message=data["message"],
                client_ip=client_ip(request),
            )
        except ValidationError as error:
            form.add_error(None, error)
        except TransitionRefused as error:
            refusal = str(error)
        else:
            return redirect("grants:donations_pay", public_id=donation.public_id)
    return render(
        request,
        "grants/donations/donate.html",
        {
            "application": application,
            "programme": programme or application.call.programme,
            "pool": application is None,
            "form": form,
            "presets": PRESETS,
            "enabled": enabled,
            "refusal": refusal,
            "totals": _totals_for(application=application, programme=programme),
        },
    )


def _donation(public_id) -> Donation:
    return get_object_or_404(
        Donation.objects.select_related(
            "application__organisation", "application__call__programme", "programme"
        ),
        public_id=public_id,
    )


def donation_pay(request, public_id):
    donation = _donation(public_id)
    if donation.status not in (DonationStatus.PENDING, DonationStatus.FAILED):
        return redirect("grants:donations_thanks", public_id=donation.public_id)
    if not stripe_gateway.donations_enabled():
        raise Http404
    test_mode = stripe_gateway.test_card_mode()
    if test_mode and donation.status == DonationStatus.FAILED:
        # localstripe cannot confirm a declined PaymentIntent again: the donor starts a new gift.
        return redirect("grants:donations_thanks", public_id=donation.public_id)
    card_form = None
    client_secret = ""
    if test_mode:
        card_form = TestCardForm(request.POST or None)
        if request.method == "POST" and card_form.is_valid():
            month, year = card_form.cleaned_data["expiry"]
            try:
                svc.pay_with_test_card(
                    donation=donation,
                    number=card_form.cleaned_data["number"],
                    exp_month=month,
                    exp_year=year,
                    cvc=card_form.cleaned_data["cvc"],
                )
            except ValidationError as error:
                card_form.add_error(None, error)
            except TransitionRefused:
                pass
            else:
                return redirect("grants:donations_thanks", public_id=donation.public_id)
    else:
        if request.method == "POST":
            return HttpResponse(status=405)
        try:
            client_secret = stripe_gateway.retrieve_payment_intent(
                donation.stripe_payment_intent_id
            ).client_secret
        except stripe_gateway.StripeError:
            logger.exception("PaymentIntent %s unavailable", donation.stripe_payment_intent_id)
            raise Http404 from None
    response = render(
        request,
        "grants/donations/pay.html",
        {
            "donation": donation,
            "test_mode": test_mode,
            "card_form": card_form,
            "client_secret": client_secret,
            "publishable_key": stripe_gateway.publishable_key(),
            "return_url": request.build_absolute_uri(
                reverse("grants:donations_thanks", kwargs={"public_id": donation.public_id})
            ),
        },
    )
    # The client secret is on this page: never cache it.
    response["Cache-Control"] = "no-store"
    return response


def donation_thanks(request, public_id):
    donation = _donation(public_id)
    application = donation.application
    programme = donation.programme
    return render(
        request,
        "grants/donations/thanks.html",
        {
            "donation": donation,
            "application": application,
            "programme": programme or application.call.programme,
            "pending": donation.status == DonationStatus.PENDING,
            "totals": _totals_for(application=application, programme=programme),
        },
    )


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe's webhook: verified by signature, processed once (``svc.process_event``).

    400 for a bad signature or a body that is not an event (nothing recorded); 200 for an event
    processed now or before; an exception (Stripe or the database unreachable) gives 500 and
    Stripe delivers the event again later.
    """
    if not stripe_gateway.donations_enabled():
        return HttpResponse(
            _("Stripe is not configured on this site."), status=400, content_type="text/plain"
        )
    try:
        event = stripe_gateway.construct_event(
            request.body, request.headers.get("Stripe-Signature", "")
        )
    except stripe_gateway.SignatureError:
        return HttpResponse(_("Invalid Stripe signature."), status=400, content_type="text/plain")
    except ValueError:
        return HttpResponse(_("Not a Stripe event."), status=400, content_type="text/plain")
    new, outcome = svc.process_event(event)
    return HttpResponse(
        ("processed: " if new else "already processed: ") + outcome, content_type="text/plain"
    )


@login_required
@require_POST
def donation_refund(request, pk: int):
    donation = get_object_or_404(Donation.objects.select_related("application"), pk=pk)
    if not request.user.has_perm("grants.refund_donation", donation):
        raise PermissionDenied
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("grants:donations_staff_list")
    form = RefundForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the amount to refund."))
        return redirect(back)
    try:
        svc.refund_donation(
            donation=donation,
            amount=form.cleaned_data["amount"],
            actor=request.user,
            expected_refunded=form.cleaned_data["expected_refunded"],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except TransitionRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The refund was sent to the donor through Stripe."))
    return redirect(back)


STAFF_PAGE_SIZE = 50


@login_required
def staff_list(request):
    """Every donation, newest first, for officers and finance staff; filter by programme and status."""
    if not request.user.has_perm("grants.see_donations"):
        raise PermissionDenied
    programmes = list(Programme.objects.order_by("-start_year", "name").only("pk", "name"))
    programme_id = request.GET.get("programme", "")
    status = request.GET.get("status", "")
    donations = staff_donations(
        programme_id=int(programme_id) if programme_id.isdigit() else None,
        status=status if status in DonationStatus.values else None,
    )
    page = Paginator(donations, STAFF_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    matched = matched_by_payment_intent(d.stripe_payment_intent_id for d in rows)
    for donation in rows:
        donation.matched = matched.get(donation.stripe_payment_intent_id)
    return render(
        request,
        "grants/donations/staff_list.html",
        {
            "page": page,
            "donations": rows,
            "programmes": programmes,
            "statuses": DonationStatus.choices,
            "selected_programme": programme_id,
            "selected_status": status,
            "can_refund": request.user.has_perm("grants.refund_donation"),
            "next": request.get_full_path(),
        },
    )
