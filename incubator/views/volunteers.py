"""Volunteering for volunteers: the public list of opportunities, sign-up, check-in by QR code,
the volunteer's profile (hours, stars, points), the reward catalogue and certificates.

Views are thin: fetch through ``selectors_volunteers`` and check the permission in the same step
(what a user may not see is a 404), call one service, redirect with a message. The organisers'
pages are in ``views/volunteers_manage.py``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from grants.enums import PUBLIC_PROJECT_STATES
from incubator import selectors_volunteers as sel
from incubator import services_volunteer_points as points
from incubator import services_volunteers as svc
from incubator.certificates_volunteers import render_certificate_pdf
from incubator.enums_volunteers import CHECKIN_OPENS_BEFORE, HoursState, SignupState
from incubator.forms_volunteers import (
    HoursForm,
    RedeemForm,
    VolunteerProfileForm,
    VolunteerRegistrationForm,
)
from incubator.models import Organisation, Redemption, RewardItem, Volunteer, VolunteerActivity
from incubator.rules_volunteers import volunteer_id_of

PAGE_SIZE = 20


def _next_url(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _visible_activity(user, pk: int) -> VolunteerActivity:
    activity = sel.activity_with_places(pk)
    if activity is None or not user.has_perm("incubator.view_volunteer_activity", activity):
        raise Http404
    return activity


def _refused(request, error) -> None:
    if isinstance(error, ValidationError):
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.error(request, str(error))


# --- Public list and detail -------------------------------------------------------------------------


def activity_list(request):
    page = Paginator(sel.open_activities(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "incubator/volunteering/activity_list.html", {"page": page})


def activity_detail(request, pk: int):
    activity = _visible_activity(request.user, pk)
    volunteer_id = volunteer_id_of(request.user)
    signup = sel.signup_of(volunteer_id, activity)
    context = {
        "activity": activity,
        "project": activity.application
        if activity.application and activity.application.state in PUBLIC_PROJECT_STATES
        else None,
        "places_left": max(activity.slots - activity.taken, 0),
        "signup": signup if signup and signup.state == SignupState.SIGNED_UP else None,
        "is_volunteer": volunteer_id is not None,
        "can_manage": request.user.has_perm("incubator.manage_volunteer_activity", activity),
    }
    return render(request, "incubator/volunteering/activity_detail.html", context)


@login_required
@require_POST
def activity_signup(request, pk: int):
    activity = _visible_activity(request.user, pk)
    detail = reverse("volunteering:activity_detail", args=[activity.pk])
    if volunteer_id_of(request.user) is None:
        messages.info(request, _("Please register as a volunteer first; it takes a minute."))
        return redirect(f"{reverse('volunteering:register')}?next={detail}")
    try:
        svc.sign_up(actor=request.user, activity=activity)
    except svc.VolunteeringRefused as error:
        _refused(request, error)
    else:
        messages.success(request, _("You have signed up. See you there!"))
    return redirect(_next_url(request, detail))


@login_required
@require_POST
def activity_cancel(request, pk: int):
    activity = _visible_activity(request.user, pk)
    try:
        svc.cancel_signup(actor=request.user, activity=activity)
    except svc.VolunteeringRefused as error:
        _refused(request, error)
    else:
        messages.success(request, _("Your sign-up is cancelled and the place is free again."))
    return redirect("volunteering:activity_detail", pk=activity.pk)


# --- Check-in by QR code ----------------------------------------------------------------------------


@never_cache
@login_required
def checkin(request, token: str):
    """The page the QR code at the venue opens. GET shows what to do; POST checks in or out."""
    try:
        activity = svc.activity_for_token(token)
    except VolunteerActivity.DoesNotExist:
        raise Http404 from None
    here = reverse("volunteering:checkin", args=[token])
    if volunteer_id_of(request.user) is None:
        messages.info(request, _("Please register as a volunteer first; it takes a minute."))
        return redirect(f"{reverse('volunteering:register')}?next={here}")
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "checkin":
                svc.check_in(actor=request.user, token=token)
                messages.success(request, _("You are checked in. Thank you for coming!"))
            elif action == "checkout":
                signup, record = svc.check_out(actor=request.user, token=token)
                if record is not None:
                    messages.success(
                        request,
                        _("You are checked out: %(hours)s hours recorded.")
                        % {"hours": record.hours},
                    )
                else:
                    messages.warning(
                        request,
                        _(
                            "You are checked out. No new hours were recorded: less than half an "
                            "hour, or hours for this activity were already recorded."
                        ),
                    )
            else:
                raise Http404
        except svc.VolunteeringRefused as error:
            _refused(request, error)
        return redirect(here)
    signup = sel.signup_of(volunteer_id_of(request.user), activity)
    context = {
        "activity": activity,
        "signup": signup if signup and signup.state == SignupState.SIGNED_UP else None,
        "opens_at": activity.starts_at - CHECKIN_OPENS_BEFORE,
        "record": (
            signup.hours_records.exclude(state=HoursState.REJECTED).first() if signup else None
        ),
    }
    return render(request, "incubator/volunteering/checkin.html", context)


# --- Registration and profile -----------------------------------------------------------------------


@login_required
def register(request):
    if volunteer_id_of(request.user) is not None:
        return redirect(_next_url(request, reverse("volunteering:profile")))
    form = VolunteerRegistrationForm(
        request.POST or None,
        initial={"real_name": request.user.display_name, "phone": request.user.phone},
    )
    if request.method == "POST" and form.is_valid():
        try:
            svc.register_volunteer(
                actor=request.user, data=form.profile_data(), consent=form.cleaned_data["consent"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Welcome! You are registered as a volunteer."))
            return redirect(_next_url(request, reverse("volunteering:profile")))
    return render(
        request,
        "incubator/volunteering/register.html",
        {"form": form, "next": _next_url(request, "")},
    )


def _own_volunteer(request) -> Volunteer | None:
    return sel.volunteer_of(request.user)


@login_required
def profile(request):
    volunteer = _own_volunteer(request)
    if volunteer is None:
        return redirect("volunteering:register")
    policy = sel.personal_data_policy(request.user)
    context = {
        "volunteer": volunteer,
        "contact": policy.contact(volunteer),
        "summary": sel.volunteer_summary(volunteer),
        "signups": sel.signups_of(volunteer),
        "hours": sel.hours_of(volunteer),
        "statement": sel.points_statement(volunteer)[:50],
        "redemptions": sel.redemptions_of(volunteer)[:50],
        "served": sel.served_organisations(volunteer),
        "teams": volunteer.teams.select_related("organisation"),
    }
    return render(request, "incubator/volunteering/profile.html", context)


@login_required
def profile_edit(request):
    volunteer = _own_volunteer(request)
    if volunteer is None:
        return redirect("volunteering:register")
    initial = {
        "real_name": volunteer.real_name,
        "phone": volunteer.phone,
        "skills": volunteer.skills,
        "community": volunteer.community,
        "teams": list(volunteer.teams.all()),
    }
    form = VolunteerProfileForm(request.POST or None, initial=initial, keep_id_number=True)
    if request.method == "POST" and form.is_valid():
        try:
            svc.update_volunteer(actor=request.user, volunteer=volunteer, data=form.profile_data())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your profile has been saved."))
            return redirect("volunteering:profile")
    return render(
        request,
        "incubator/volunteering/profile_edit.html",
        {
            "form": form,
            "volunteer": volunteer,
            "contact": sel.personal_data_policy(request.user).contact(volunteer),
        },
    )


@login_required
def enter_hours(request, pk: int):
    """The volunteer enters their hours for an activity they signed up to (no check-in)."""
    activity = _visible_activity(request.user, pk)
    if volunteer_id_of(request.user) is None:
        return redirect("volunteering:register")
    form = HoursForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            svc.enter_hours(
                actor=request.user,
                activity=activity,
                hours=form.cleaned_data["hours"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        except svc.VolunteeringRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Your hours are sent to the organiser for approval."))
            return redirect("volunteering:profile")
    return render(
        request, "incubator/volunteering/enter_hours.html", {"form": form, "activity": activity}
    )


# --- Rewards ---------------------------------------------------------------------------------------


def reward_list(request):
    volunteer_id = volunteer_id_of(request.user)
    context = {
        "rewards": sel.reward_catalogue(),
        "balance": sel.points_balance(volunteer_id) if volunteer_id else None,
        "form": RedeemForm(),
    }
    return render(request, "incubator/volunteering/reward_list.html", context)


@login_required
@require_POST
def reward_redeem(request, pk: int):
    reward = get_object_or_404(RewardItem, pk=pk, is_active=True)
    if volunteer_id_of(request.user) is None:
        return redirect("volunteering:register")
    form = RedeemForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a quantity from 1 to 10."))
        return redirect("volunteering:rewards")
    try:
        points.redeem_reward(
            actor=request.user, reward=reward, quantity=form.cleaned_data["quantity"]
        )
    except points.RewardRefused as error:
        _refused(request, error)
        return redirect("volunteering:rewards")
    messages.success(
        request,
        _("You have redeemed “%(name)s”. Show this page when you collect it.")
        % {"name": reward.name},
    )
    return redirect("volunteering:profile")


@login_required
@require_POST
def redemption_cancel(request, pk: int):
    """The volunteer (while requested) or an officer cancels; the points come back."""
    redemption = Redemption.objects.filter(pk=pk).first()
    if redemption is None or not request.user.has_perm("incubator.cancel_redemption", redemption):
        raise Http404
    try:
        points.cancel_redemption(actor=request.user, redemption=redemption)
    except points.RewardRefused as error:
        _refused(request, error)
    else:
        messages.success(request, _("The redemption is cancelled and the points are back."))
    return redirect(_next_url(request, reverse("volunteering:profile")))


# --- Certificates ----------------------------------------------------------------------------------


@login_required
def certificate(request, volunteer_pk: int, organisation_pk: int):
    """The volunteer-service certificate (PDF) of a volunteer's approved hours at an organisation.

    The volunteer themself, officers, and the organisation's organisers may download it.
    """
    volunteer = Volunteer.objects.filter(pk=volunteer_pk).first()
    organisation = Organisation.objects.filter(pk=organisation_pk).first()
    if volunteer is None or organisation is None:
        raise Http404
    if not (
        request.user.has_perm("incubator.view_volunteer", volunteer)
        or request.user.has_perm("incubator.issue_volunteer_certificate", organisation)
    ):
        raise Http404
    try:
        issued = points.issue_certificate(
            actor=request.user, volunteer=volunteer, organisation=organisation
        )
    except points.VolunteeringRefused:
        raise Http404 from None
    pdf = render_certificate_pdf(
        issued,
        contact=sel.personal_data_policy(None).contact(volunteer),  # always masked on paper
        rows=sel.certificate_rows(volunteer, organisation),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        True, f"志愿服务证明-{volunteer.real_name}-{issued.number}.pdf"
    )
    return response
