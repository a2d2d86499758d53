"""The public 公示 pages (/gongshi/…): anyone, signed in or not, reads the results and may object.

What is public is decided by ``grants.selectors_decisions.public_projects``: rank, organisation,
project, theme, amount, final score, state, and the answers to objections with the objector's
name masked. Never contacts, reviewers or anything of applications that were not published.

Lodging an objection creates it unverified and sends a code; the objector lands on a page
addressed by a signed token (not the id), types the code, and only then does the objection count.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from grants.enums import Theme
from grants.forms_decisions import ObjectionForm, VerifyCodeForm
from grants.selectors_decisions import (
    NOTICE_STATES,
    public_notice_for_slug,
    public_notices,
    public_project,
    public_projects,
)
from grants.services import objections as svc
from grants.services.decisions import NOTICE_TIME_ZONE, notice_last_day
from grants.services.errors import TransitionRefused


def client_ip(request) -> str:
    """The client's address as django-allauth sees it (it knows the trusted proxies)."""
    from allauth.account.adapter import get_adapter

    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:
        return request.META.get("REMOTE_ADDR", "")


# --- Countdown (the same text as the call pages; static/js/countdown.js keeps it current) --------


def _unit(name: str, count: int, shown=None) -> str:
    shown = count if shown is None else shown
    if name == "day":
        return ngettext("%(count)s day", "%(count)s days", count) % {"count": shown}
    if name == "hour":
        return ngettext("%(count)s hour", "%(count)s hours", count) % {"count": shown}
    return ngettext("%(count)s minute", "%(count)s minutes", count) % {"count": shown}


def _duration(seconds: float) -> str:
    minutes_total = max(int(seconds // 60), 0)
    days, rest = divmod(minutes_total, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        parts = [_unit("day", days)] + ([_unit("hour", hours)] if hours else [])
    elif hours:
        parts = [_unit("hour", hours)] + ([_unit("minute", minutes)] if minutes else [])
    else:
        parts = [_unit("minute", max(minutes, 1))]
    return " ".join(parts)


def _countdown(notice, now) -> dict | None:
    if not notice.is_open(now):
        return None
    template = _("%(time)s left to lodge an objection")
    return {
        "target_iso": notice.closes_at.astimezone(NOTICE_TIME_ZONE).isoformat(timespec="seconds"),
        "now_iso": now.astimezone(NOTICE_TIME_ZONE).isoformat(timespec="seconds"),
        "text": template % {"time": _duration((notice.closes_at - now).total_seconds())},
        "template": template % {"time": "{time}"},
        "units_json": json.dumps(
            {n: [_unit(n, 1, "{n}"), _unit(n, 2, "{n}")] for n in ("day", "hour", "minute")},
            ensure_ascii=False,
        ),
        "done_text": _("The objection period has ended."),
    }


# --- Pages ---------------------------------------------------------------------------------------


def notice_index(request):
    now = timezone.now()
    notices = list(public_notices())
    return render(
        request,
        "grants/decisions/public_index.html",
        {
            "current": [notice for notice in notices if notice.is_open(now)],
            "past": [notice for notice in notices if not notice.is_open(now)],
        },
    )


def _notice_or_404(slug: str):
    notice = public_notice_for_slug(slug)
    if notice is None:
        raise Http404
    return notice


def _theme_label(code: str) -> str:
    return str(Theme(code).label) if code in Theme.values else ""


def _rows(projects) -> list[dict]:
    rows = []
    for project in projects:
        summary = getattr(project, "review_summary", None)
        rows.append(
            {
                "project": project,
                "rank": summary.rank if summary else None,
                "final_score": summary.final_score if summary else None,
                "theme": _theme_label(project.theme),
                "answers": [
                    {
                        "name": svc.mask_name(objection.name),
                        "outcome": objection.get_state_display(),
                        "upheld": objection.state == "upheld",
                        "answer": objection.answer,
                        "answered_at": objection.answered_at,
                    }
                    for objection in project.public_answers
                ],
                "objectable": project.state in NOTICE_STATES,
            }
        )
    return rows


def _notice_context(notice, *, now) -> dict:
    is_open = notice.is_open(now)
    rows = _rows(public_projects(notice=notice))
    for row in rows:
        pk = row["project"].pk
        if is_open and row["objectable"]:
            # Each form posts to the project's own objection page (same prefix there).
            row["form"] = ObjectionForm(prefix=f"p{pk}")
    return {
        "notice": notice,
        "call": notice.call,
        "rows": rows,
        "is_open": is_open,
        "last_day": notice_last_day(notice),
        "countdown": _countdown(notice, now),
    }


def notice_detail(request, slug: str):
    notice = _notice_or_404(slug)
    return render(
        request,
        "grants/decisions/public_notice.html",
        _notice_context(notice, now=timezone.now()),
    )


@never_cache
def objection_lodge(request, slug: str, pk: int):
    """One project's objection form (the 公示 page links here; the form also sits on that page)."""
    notice = _notice_or_404(slug)
    project = public_project(notice=notice, pk=pk)
    if project is None:
        raise Http404
    now = timezone.now()
    form = ObjectionForm(request.POST or None, prefix=f"p{pk}")
    status = 200
    refusal = ""
    if not notice.is_open(now):
        refusal = _(
            "The objection period ended on %(day)s: objections can no longer be lodged."
        ) % {"day": notice_last_day(notice).isoformat()}
    elif project.state not in NOTICE_STATES:
        refusal = _("A final decision has been taken on this project: objections are closed.")
    if refusal:
        form = None
        status = 400 if request.method == "POST" else 200
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            objection = svc.lodge_objection(
                application=project,
                name=form.cleaned_data["name"],
                contact=form.cleaned_data["contact"],
                body=form.cleaned_data["body"],
                ip=client_ip(request),
            )
        except ValidationError as error:
            _add_errors(form, error)
            status = 400
        except TransitionRefused as error:
            refusal, form, status = str(error), None, 400
        except svc.TooManyRequests as error:
            form.add_error(None, str(error))
            status = 429
        else:
            return redirect("grants:objection_verify", token=svc.objection_token(objection))
    elif form is not None and request.method == "POST":
        status = 400
    return render(
        request,
        "grants/decisions/objection_form.html",
        {
            "notice": notice,
            "call": notice.call,
            "project": project,
            "form": form,
            "refusal": refusal,
        },
        status=status,
    )


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _objection_or_404(token: str):
    objection = svc.objection_from_token(token)
    if objection is None:
        raise Http404
    return objection


@never_cache
def objection_verify(request, token: str):
    objection = _objection_or_404(token)
    form = VerifyCodeForm(request.POST or None)
    status = 200
    if objection.state != "unverified":
        return render(
            request,
            "grants/decisions/objection_done.html",
            {"objection": objection, "call": objection.application.call},
        )
    if request.method == "POST":
        if form.is_valid():
            try:
                objection = svc.verify_objection(
                    objection=objection, code=form.cleaned_data["code"], ip=client_ip(request)
                )
            except svc.CodeRejected as error:
                form.add_error("code", str(error))
                status = 400
            except svc.TooManyRequests as error:
                form.add_error(None, str(error))
                status = 429
            except TransitionRefused as error:
                form.add_error(None, str(error))
                status = 400
            else:
                return redirect("grants:objection_verify", token=token)
        else:
            status = 400
    return render(
        request,
        "grants/decisions/objection_verify.html",
        {
            "objection": objection,
            "call": objection.application.call,
            "form": form,
            "token": token,
            "sent_to": _masked_contact(objection),
            "minutes": int(svc.CODE_VALID.total_seconds() // 60),
        },
        status=status,
    )


def _masked_contact(objection) -> str:
    if objection.email:
        local, _at, domain = objection.email.partition("@")
        return f"{local[:2]}***@{domain}"
    return f"{objection.phone[:3]}****{objection.phone[-4:]}"


@require_POST
def objection_resend(request, token: str):
    objection = _objection_or_404(token)
    try:
        svc.resend_code(objection=objection, ip=client_ip(request))
    except svc.TooManyRequests as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("A new code has been sent."))
    return redirect("grants:objection_verify", token=token)
