"""Training pages at /incubation/courses/: courses, their sessions and the attendance register.

Managers (officers, or a base's listed managers) create courses and sessions and keep the register;
organisations in the base's cohort may read a course page. Anyone else gets a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from incubator import selectors_incubation as selectors
from incubator import services_incubation_programme as programme
from incubator.forms_incubation import AttendanceForm, CourseForm, SessionForm
from incubator.views.incubation import _add_errors

MANAGE_BASE = "incubator.manage_incubation_base"


def _require_workspace(user) -> None:
    if not user.has_perm("incubator.use_incubation_workspace"):
        raise PermissionDenied(_("The incubation workspace is for base managers."))


@login_required
def course_list(request):
    _require_workspace(request.user)
    bases = selectors.bases_managed_by(user=request.user)
    form = CourseForm(request.POST or None, bases=bases)
    if request.method == "POST" and form.is_valid():
        try:
            course = programme.create_course(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request, _("The course “%(title)s” was created.") % {"title": course.title}
            )
            return redirect("incubation:course", pk=course.pk)
    return render(
        request,
        "incubator/incubation/courses.html",
        {"courses": selectors.courses_for_manager(user=request.user), "form": form},
        status=400 if form.is_bound else 200,
    )


def _get_course(user, pk: int):
    course = selectors.course_for_page(pk=pk)
    if course is None or not user.has_perm("incubator.view_training_course", course):
        raise Http404
    return course


@login_required
def course_detail(request, pk: int):
    course = _get_course(request.user, pk)
    manager = request.user.has_perm(MANAGE_BASE, course)
    form = None
    if manager:
        form = SessionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                programme.add_session(course=course, actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("The session was added."))
                return redirect("incubation:course", pk=course.pk)
    elif request.method == "POST":
        raise PermissionDenied
    return render(
        request,
        "incubator/incubation/course.html",
        {"course": course, "is_manager": manager, "form": form},
        status=400 if form is not None and form.is_bound else 200,
    )


@login_required
def attendance(request, pk: int):
    """The register of one session: tick the organisations that came."""
    session = selectors.session_for_attendance(pk=pk)
    if session is None or not request.user.has_perm(
        "incubator.view_training_course", session.course
    ):
        raise Http404
    if not request.user.has_perm(MANAGE_BASE, session):
        raise PermissionDenied
    recorded = {row.organisation_id for row in session.attendances.all() if row.member_id is None}
    organisations = selectors.cohort_organisations(
        base_id=session.course.base_id, including=recorded
    )
    form = AttendanceForm(
        request.POST or None,
        organisations=organisations,
        initial={"organisations": [str(pk) for pk in recorded]},
    )
    if request.method == "POST" and form.is_valid():
        change = programme.record_attendance(
            session=session, actor=request.user, organisation_ids=form.organisation_ids()
        )
        messages.success(
            request,
            _("Attendance saved: %(added)d marked present, %(removed)d removed.")
            % {"added": change.added, "removed": change.removed},
        )
        return redirect("incubation:course", pk=session.course_id)
    return render(
        request,
        "incubator/incubation/attendance.html",
        {"session": session, "course": session.course, "form": form},
    )
