"""Volunteering for organisers and officers: activities, roster and QR code, hours approval, teams,
paper registration, the platform export (CSV) and, for officers, the reward catalogue.

Who sees a volunteer's phone and ID number is decided by ``selectors_volunteers.PersonalDataPolicy``
and nowhere else.
"""

from __future__ import annotations

import csv
import io

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incubator import selectors_volunteers as sel
from incubator import services_volunteer_points as points
from incubator import services_volunteers as svc
from incubator.enums_volunteers import RedemptionState
from incubator.forms_volunteers import (
    ActivityForm,
    AddVolunteerForm,
    ExportForm,
    HoursForm,
    PaperRegistrationForm,
    RejectHoursForm,
    RewardForm,
    TeamForm,
)
from incubator.models import (
    HoursRecord,
    Redemption,
    RewardItem,
    Volunteer,
    VolunteerActivity,
    VolunteerSignup,
)
from yichuang.csv_safety import spreadsheet_cell

PAGE_SIZE = 30
EXPORT_COLUMNS = (
    "姓名",
    "证件类型",
    "证件号码",
    "手机号",
    "活动名称",
    "服务日期",
    "服务时长(小时)",
    "组织名称",
)


def _require_workspace(user) -> None:
    if not user.has_perm("incubator.use_volunteering_workspace"):
        raise PermissionDenied


def _managed_activity(user, pk: int) -> VolunteerActivity:
    """Fetch and check in one step: an activity the user does not run is a 404."""
    activity = (
        VolunteerActivity.objects.select_related("organisation", "community", "application")
        .filter(pk=pk)
        .first()
    )
    if activity is None or not user.has_perm("incubator.manage_volunteer_activity", activity):
        raise Http404
    return activity


def _refused(request, error) -> None:
    if isinstance(error, ValidationError):
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.error(request, str(error))


# --- Activities ---------------------------------------------------------------------------------------


@login_required
def manage_home(request):
    _require_workspace(request.user)
    organisations = sel.organisations_run_by(request.user)
    page = Paginator(sel.managed_activities(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "pending_count": sel.pending_hours_for(request.user).count(),
        "export_form": ExportForm(organisations=organisations),
        "can_manage_rewards": request.user.has_perm("incubator.manage_rewards"),
    }
    return render(request, "incubator/volunteering/manage/home.html", context)


def _organisation_choice(request):
    """The organisation a new activity or team belongs to: ?organisation=<pk>, or the only one."""
    organisations = sel.organisations_run_by(request.user)
    chosen = request.POST.get("organisation") or request.GET.get("organisation")
    if chosen and str(chosen).isdigit():
        return organisations.filter(pk=chosen).first(), organisations
    if organisations.count() == 1:
        return organisations.first(), organisations
    return None, organisations


@login_required
def activity_create(request):
    _require_workspace(request.user)
    organisation, organisations = _organisation_choice(request)
    if organisation is None:
        return render(
            request,
            "incubator/volunteering/manage/choose_organisation.html",
            {"organisations": organisations[:200]},
        )
    if not request.user.has_perm("incubator.create_volunteer_activity", organisation):
        raise Http404
    form = ActivityForm(
        request.POST or None,
        organisation=organisation,
        instance=VolunteerActivity(organisation=organisation),
    )
    if request.method == "POST" and form.is_valid():
        try:
            activity = svc.create_activity(
                actor=request.user,
                organisation=organisation,
                data=form.activity_data(),
                published=bool(request.POST.get("publish")),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The activity is saved."))
            return redirect("volunteering:manage_activity", pk=activity.pk)
    return render(
        request,
        "incubator/volunteering/manage/activity_form.html",
        {"form": form, "organisation": organisation, "activity": None},
    )


@login_required
def activity_edit(request, pk: int):
    activity = _managed_activity(request.user, pk)
    form = ActivityForm(request.POST or None, organisation=activity.organisation, instance=activity)
    if request.method == "POST" and form.is_valid():
        try:
            svc.update_activity(actor=request.user, activity=activity, data=form.activity_data())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The activity is saved."))
            return redirect("volunteering:manage_activity", pk=activity.pk)
    return render(
        request,
        "incubator/volunteering/manage/activity_form.html",
        {"form": form, "organisation": activity.organisation, "activity": activity},
    )


@login_required
@require_POST
def activity_publish(request, pk: int):
    activity = _managed_activity(request.user, pk)
    published = request.POST.get("published") == "1"
    svc.set_activity_published(actor=request.user, activity=activity, published=published)
    messages.success(
        request,
        _("The activity is published.")
        if published
        else _("The activity is hidden from the public list."),
    )
    return redirect("volunteering:manage_activity", pk=activity.pk)


@login_required
def activity_manage(request, pk: int):
    """The organiser's page for one activity: QR code, roster, hours."""
    activity = _managed_activity(request.user, pk)
    policy = sel.personal_data_policy(request.user)
    rows = [
        (signup, policy.contact(signup.volunteer, organisation_id=activity.organisation_id))
        for signup in sel.roster(activity)
    ]
    pending = list(sel.pending_hours_for(request.user).filter(activity=activity))
    context = {
        "activity": activity,
        "rows": rows,
        "pending": pending,
        "checkin_url": request.build_absolute_uri(
            reverse("volunteering:checkin", args=[activity.checkin_token])
        ),
        "add_form": AddVolunteerForm(),
        "hours_form": HoursForm(),
        "reject_form": RejectHoursForm(),
        "started": timezone.now() >= activity.starts_at,
    }
    return render(request, "incubator/volunteering/manage/activity.html", context)


@login_required
def activity_qr(request, pk: int):
    activity = _managed_activity(request.user, pk)
    url = request.build_absolute_uri(reverse("volunteering:checkin", args=[activity.checkin_token]))
    buffer = io.BytesIO()
    segno.make(url, error="m").save(
        buffer, kind="svg", scale=8, border=2, xmldecl=False, title=activity.title
    )
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def roster_add(request, pk: int):
    """Sign up a registered volunteer, found by their phone number, to this activity."""
    activity = _managed_activity(request.user, pk)
    form = AddVolunteerForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("volunteering:manage_activity", pk=activity.pk)
    volunteers = list(Volunteer.objects.filter(phone=form.cleaned_data["phone"])[:2])
    if len(volunteers) != 1:
        messages.error(
            request,
            _("No volunteer is registered with this number.")
            if not volunteers
            else _("Several volunteers share this number; ask them to sign up themselves."),
        )
        return redirect("volunteering:manage_activity", pk=activity.pk)
    try:
        svc.sign_up(actor=request.user, activity=activity, volunteer=volunteers[0])
    except svc.VolunteeringRefused as error:
        _refused(request, error)
    else:
        messages.success(request, _("%(name)s is signed up.") % {"name": volunteers[0].real_name})
    return redirect("volunteering:manage_activity", pk=activity.pk)


@login_required
@require_POST
def roster_hours(request, pk: int, signup_pk: int):
    """The organiser enters hours for a signed-up volunteer; they wait for approval."""
    activity = _managed_activity(request.user, pk)
    signup = get_object_or_404(
        VolunteerSignup.objects.select_related("volunteer"), pk=signup_pk, activity=activity
    )
    form = HoursForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("volunteering:manage_activity", pk=activity.pk)
    try:
        svc.enter_hours(
            actor=request.user,
            activity=activity,
            volunteer=signup.volunteer,
            hours=form.cleaned_data["hours"],
            note=form.cleaned_data["note"],
        )
    except (ValidationError, svc.VolunteeringRefused) as error:
        _refused(request, error)
    else:
        messages.success(
            request,
            _("Hours entered for %(name)s; approve them below.")
            % {"name": signup.volunteer.real_name},
        )
    return redirect("volunteering:manage_activity", pk=activity.pk)


# --- Hours approval ---------------------------------------------------------------------------------


@login_required
def hours_pending(request):
    _require_workspace(request.user)
    page = Paginator(sel.pending_hours_for(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    policy = sel.personal_data_policy(request.user)
    rows = [
        (record, policy.contact(record.volunteer, organisation_id=record.activity.organisation_id))
        for record in page.object_list
    ]
    return render(
        request,
        "incubator/volunteering/manage/hours_pending.html",
        {"page": page, "rows": rows, "reject_form": RejectHoursForm()},
    )


def _decidable_record(user, pk: int) -> HoursRecord:
    record = HoursRecord.objects.select_related("activity", "volunteer").filter(pk=pk).first()
    if record is None or not user.has_perm("incubator.manage_volunteer_activity", record.activity):
        raise Http404
    if not user.has_perm("incubator.decide_volunteer_hours", record):
        raise PermissionDenied
    return record


def _back(request, record: HoursRecord) -> str:
    if request.POST.get("back") == "activity":
        return reverse("volunteering:manage_activity", args=[record.activity_id])
    return reverse("volunteering:hours_pending")


@login_required
@require_POST
def hours_approve(request, pk: int):
    record = _decidable_record(request.user, pk)
    try:
        record = svc.approve_hours(actor=request.user, record=record)
    except svc.VolunteeringRefused as error:
        _refused(request, error)
    else:
        messages.success(
            request,
            _("Approved: %(hours)s hours for %(name)s.")
            % {"hours": record.hours, "name": record.volunteer.real_name},
        )
    return redirect(_back(request, record))


@login_required
@require_POST
def hours_reject(request, pk: int):
    record = _decidable_record(request.user, pk)
    form = RejectHoursForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Please give a reason; the volunteer will read it."))
        svc.reject_hours(actor=request.user, record=record, reason=form.cleaned_data["reason"])
    except (ValidationError, svc.VolunteeringRefused) as error:
        _refused(request, error)
    else:
        messages.success(request, _("The hours are rejected; the volunteer can see why."))
    return redirect(_back(request, record))


# --- Export for volunteer platforms -----------------------------------------------------------------


@login_required
def export_csv(request):
    """Approved hours in the columns 志愿汇 / 全国志愿服务信息系统 import, UTF-8 with a BOM for Excel.

    Officers get full ID numbers (the platforms need them to match people); organisers get the
    phone numbers of their own volunteers and masked ID numbers.
    """
    if not request.user.has_perm("incubator.export_volunteer_hours"):
        raise PermissionDenied
    organisations = sel.organisations_run_by(request.user)
    form = ExportForm(request.GET or None, organisations=organisations)
    filters = form.cleaned_data if form.is_valid() else {}
    records = sel.export_records(
        request.user,
        organisation=filters.get("organisation"),
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    )
    policy = sel.personal_data_policy(request.user)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    for record in records.iterator(chunk_size=2000):
        activity = record.activity
        contact = policy.contact(record.volunteer, organisation_id=activity.organisation_id)
        writer.writerow(
            [
                spreadsheet_cell(contact.name),
                contact.id_document_type,
                contact.id_number,
                contact.phone,
                spreadsheet_cell(activity.title),
                record.service_date.isoformat(),
                f"{record.hours:.1f}",
                spreadsheet_cell(activity.organisation.name),
            ]
        )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        True, f"志愿服务时长-{timezone.localdate():%Y%m%d}.csv"
    )
    return response


# --- Teams and paper registration ---------------------------------------------------------------------


@login_required
def teams(request):
    _require_workspace(request.user)
    organisations = sel.organisations_run_by(request.user)
    form = TeamForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            svc.create_team(
                actor=request.user,
                organisation=data["organisation"],
                name=data["name"],
                community=data["community"],
                description=data["description"],
                applications=list(data["applications"]),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The team is created."))
            return redirect("volunteering:teams")
    page = Paginator(sel.teams_of_organisations(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "incubator/volunteering/manage/teams.html", {"page": page, "form": form})


@login_required
def register_on_paper(request):
    _require_workspace(request.user)
    form = PaperRegistrationForm(
        request.POST or None, organisations=sel.organisations_run_by(request.user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            volunteer = svc.register_volunteer_on_paper(
                actor=request.user,
                organisation=form.cleaned_data["organisation"],
                data=form.profile_data(),
                consent_on_paper=form.cleaned_data["consent_on_paper"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("%(name)s is registered; add them to an activity by their phone number.")
                % {"name": volunteer.real_name},
            )
            return redirect("volunteering:manage")
    return render(request, "incubator/volunteering/manage/register_on_paper.html", {"form": form})


# --- Rewards (officers) -------------------------------------------------------------------------------


def _require_rewards(user) -> None:
    if not user.has_perm("incubator.manage_rewards"):
        raise PermissionDenied


@login_required
def rewards_manage(request):
    _require_rewards(request.user)
    form = RewardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            points.create_reward(actor=request.user, data=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The reward is in the catalogue."))
            return redirect("volunteering:rewards_manage")
    state = request.GET.get("state", RedemptionState.REQUESTED)
    state = state if state in RedemptionState.values else ""
    page = Paginator(sel.redemptions_to_handle(state=state), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "form": form,
        "rewards": sel.reward_catalogue(include_inactive=True),
        "page": page,
        "state": state,
        "states": RedemptionState.choices,
    }
    return render(request, "incubator/volunteering/manage/rewards.html", context)


@login_required
def reward_edit(request, pk: int):
    _require_rewards(request.user)
    reward = get_object_or_404(RewardItem, pk=pk)
    form = RewardForm(request.POST or None, instance=reward)
    if request.method == "POST" and form.is_valid():
        try:
            points.update_reward(actor=request.user, reward=reward, data=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The reward is saved."))
            return redirect("volunteering:rewards_manage")
    return render(
        request, "incubator/volunteering/manage/reward_form.html", {"form": form, "reward": reward}
    )


@login_required
@require_POST
def redemption_fulfil(request, pk: int):
    _require_rewards(request.user)
    redemption = get_object_or_404(Redemption, pk=pk)
    try:
        points.fulfil_redemption(actor=request.user, redemption=redemption)
    except points.RewardRefused as error:
        _refused(request, error)
    else:
        messages.success(request, _("Recorded as handed over."))
    return redirect("volunteering:rewards_manage")
