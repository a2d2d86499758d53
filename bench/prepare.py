"""What `make bench` needs from the database, through the ORM: row counts, the users and pages to
measure (those with the most rows to show, and the smallest for the query-growth check), their
signed-in sessions, and complete drafts for the submit surge.

Runs in the benchmark process (``django.setup()`` against BENCH_DATABASE_URL), never in the server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import quote

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

SURGE_SLUG = "bench-submit-surge"
AUTH_BACKEND = "django.contrib.auth.backends.ModelBackend"


@dataclass
class Page:
    key: str
    label: str
    path: str
    user_id: int | None = None  # None: anonymous
    # The same page on the fewest rows, to tell whether the query count grows with the data.
    small_path: str | None = None
    small_user_id: int | None = None
    note: str = ""


@dataclass
class Plan:
    pages: list[Page] = field(default_factory=list)
    export_path: str = ""
    export_user_id: int | None = None
    export_rows: int = 0
    notes: list[str] = field(default_factory=list)


COUNTED = (
    ("organisations", "incubator.Organisation"),
    ("users", "accounts.User"),
    ("calls", "grants.Call"),
    ("applications", "grants.Application"),
    ("review assignments", "grants.ReviewAssignment"),
    ("scores (per criterion)", "grants.CriterionScore"),
    ("ledger rows", "grants.LedgerEntry"),
    ("volunteers", "incubator.Volunteer"),
    ("volunteer-hour records", "incubator.HoursRecord"),
)


def row_counts() -> dict[str, int]:
    """Exact counts of the tables the issue names (pg_class estimates would be cheaper but vague)."""
    from django.apps import apps

    counts = {}
    for label, model in COUNTED:
        try:
            counts[label] = apps.get_model(model).objects.count()
        except LookupError:
            continue
    return counts


def _role_users(role: str):
    from accounts.models import User

    return User.objects.filter(
        is_active=True, memberships__role=role, memberships__is_active=True
    ).distinct()


def plan() -> Plan:
    """Pick, for every page, the subject with the most rows to show (and one with the fewest)."""
    from accounts.enums import Role
    from cms.models import CallPage, TransparencyPage
    from grants.models import Application, Call, ReviewAssignment

    result = Plan()
    officer = _role_users(Role.OFFICER).order_by("pk").first()
    finance = _role_users(Role.FINANCE).order_by("pk").first() or officer
    if officer is None:
        raise SystemExit("No officer in the database: run `manage.py seed_demo` first.")

    calls = Call.objects.exclude(slug=SURGE_SLUG).annotate(n=Count("applications"))
    big_call = calls.order_by("-n", "pk").first()
    small_call = calls.filter(n__gte=1).order_by("n", "pk").first() or big_call
    base = f"/workspace/calls/{big_call.pk}/applications/"
    small = f"/workspace/calls/{small_call.pk}/applications/"
    result.pages.append(
        Page("officer_list", "Officer application list", base, officer.pk, small, officer.pk)
    )
    result.pages.append(
        Page(
            "officer_list_filtered",
            "Officer application list, filtered",
            base + "?state=submitted&sort=-amount",
            officer.pk,
            small + "?state=submitted&sort=-amount",
            officer.pk,
        )
    )

    def word(call) -> str:
        """A search word that matches in ``call``: the first two characters of a title."""
        title = (
            Application.objects.filter(call=call).exclude(title="").values_list("title", flat=True)
        ).first()
        return quote((title or "社区")[:2])

    result.pages.append(
        Page(
            "officer_list_searched",
            "Officer application list, searched",
            base + f"?q={word(big_call)}",
            officer.pk,
            small + f"?q={word(small_call)}",
            officer.pk,
        )
    )

    reviewers = (
        _role_users(Role.REVIEWER)
        .annotate(n=Count("review_assignments"))
        .filter(n__gte=1)
        .order_by("-n", "pk")
    )
    busy, quiet = reviewers.first(), reviewers.order_by("n", "pk").first()
    if busy is not None:
        result.pages.append(
            Page(
                "reviewer_dashboard",
                "Reviewer dashboard",
                "/review/",
                busy.pk,
                "/review/",
                quiet.pk,
            )
        )
    else:
        result.notes.append("No reviewer has assignments: the reviewer dashboard was not measured.")

    # The application with the most reviews, comments and budget lines behind it.
    rich = (
        Application.objects.exclude(call__slug=SURGE_SLUG)
        .annotate(n=Count("assignments", distinct=True) + Count("budget_lines", distinct=True))
        .order_by("-n", "pk")
    )
    detail, bare = rich.first(), rich.order_by("n", "pk").first()
    result.pages.append(
        Page(
            "application_detail",
            "Application detail (officer)",
            f"/workspace/applications/{detail.pk}/",
            officer.pk,
            f"/workspace/applications/{bare.pk}/",
            officer.pk,
        )
    )

    call_page = (
        CallPage.objects.live().public().filter(call=big_call).first()
        or CallPage.objects.live()
        .public()
        .annotate(n=Count("call__applications"))
        .order_by("-n")
        .first()
    )
    if call_page is not None:
        url = call_page.get_url()
        result.pages.append(
            Page("call_page", "Public call page (page cache)", url, note="anonymous, cached")
        )
        # Any query string but ?page= bypasses the page cache: the cost of rendering it.
        result.pages.append(
            Page("call_page_uncached", "Public call page (rendered)", url + "?bench=1")
        )
    transparency = TransparencyPage.objects.live().public().first()
    if transparency is not None:
        url = transparency.get_url()
        result.pages.append(
            Page("transparency", "Transparency dashboard (page cache)", url, note="anonymous")
        )
        result.pages.append(
            Page("transparency_uncached", "Transparency dashboard (rendered)", url + "?bench=1")
        )
    result.pages.append(
        Page("funder_dashboard", "Funder (finance) dashboard", "/workspace/funding/", finance.pk)
    )

    export_call = big_call
    result.export_path = f"/workspace/calls/{export_call.pk}/applications/export.xlsx"
    result.export_user_id = officer.pk
    result.export_rows = export_call.n
    _ = ReviewAssignment  # imported for the annotation names above
    return result


def session_for(user_id: int) -> str:
    """A signed-in session for a user, as the login view would leave it (same engine, same cache)."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    from accounts.models import User

    user = User.objects.get(pk=user_id)
    store = import_string(settings.SESSION_ENGINE + ".SessionStore")()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = AUTH_BACKEND
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def _surge_call(source):
    """A fresh open call for the surge, a copy of an open call's rules (many drafts, no quota)."""
    from grants.models import Application, Call

    old = Call.objects.filter(slug=SURGE_SLUG).first()
    if old is not None:
        # The previous run's applications go, so that repeated runs do not grow the data.
        Application.objects.filter(call=old).delete()
        old.delete()
    call = Call.objects.get(pk=source.pk)
    call.pk = None
    call.id = None
    call.slug = SURGE_SLUG
    call.title = "基准测试：提交高峰 bench submit surge"
    call.opens_at = timezone.now() - timedelta(days=1)
    call.closes_at = timezone.now() + timedelta(days=30)
    call.save()
    return call


def prepare_drafts(count: int) -> list[tuple[str, int]]:
    """Complete drafts in a fresh open call, one per organisation, each with its member's session.

    Made through the real services (start_application, save_draft), then checked with the call's
    eligibility rules so that every draft can be submitted: a refusal in the surge is an error.
    """
    from accounts.enums import Role
    from accounts.models import Membership, User
    from grants import eligibility
    from grants.demo_lifecycle import ANSWERS, OPEN, _lines
    from grants.models import Call
    from grants.services import applications as svc
    from incubator.models import Community, Organisation

    now = timezone.now()
    source = (
        Call.objects.filter(opens_at__lte=now, closes_at__gt=now)
        .exclude(slug=SURGE_SLUG)
        .order_by("pk")
        .first()
    )
    if source is None:
        raise SystemExit("No open call to copy for the submit surge.")
    call = _surge_call(source)
    spec = next(row for row in OPEN if row[7])  # the first complete application of the demo
    _name, _state, theme, title, summary, need, objectives, budget, _community = spec
    partner = Community.objects.filter(~Q(parent=None)).order_by("pk").first()
    password = User.objects.filter(is_superuser=False).values_list("password", flat=True).first()

    drafts: list[tuple[str, int]] = []
    refused = 0
    organisations = Organisation.objects.order_by("pk").iterator(chunk_size=500)
    for organisation in organisations:
        if len(drafts) >= count:
            break
        membership = (
            Membership.objects.filter(
                organisation=organisation, role=Role.APPLICANT, is_active=True
            )
            .select_related("user")
            .order_by("pk")
            .first()
        )
        if membership is None:
            username = f"bench-org{organisation.pk}"
            user, _ = User.objects.get_or_create(
                username=username,
                defaults={"email": f"{username}@bench.invalid", "password": password},
            )
            Membership.objects.get_or_create(
                user=user, role=Role.APPLICANT, organisation=organisation
            )
            user = User.objects.get(pk=user.pk)  # fresh role cache
        else:
            user = membership.user
        try:
            with transaction.atomic():
                application = svc.start_application(
                    call=call, organisation=organisation, actor=user
                )
                application = svc.save_draft(
                    application=application,
                    actor=user,
                    fields={
                        "title": f"{title}（{organisation.pk}）",
                        "summary": summary,
                        "need": need,
                        "objectives": objectives,
                        "theme": theme,
                        "beneficiaries": "社区居民",
                        "beneficiaries_count": 120,
                        "activities": [
                            {
                                "name": "服务实施",
                                "start": (now + timedelta(days=40)).date().isoformat(),
                                "end": (now + timedelta(days=300)).date().isoformat(),
                                "description": "按月开展",
                            }
                        ],
                        "indicators": [
                            {"name": "服务人次", "kind": "output", "target": "2400", "unit": "人次"}
                        ],
                    },
                    budget_lines=_lines(budget),
                    extra_answers=ANSWERS,
                    partner_community_ids=[partner.pk] if partner else [],
                )
                if any(r.blocks for r in eligibility.evaluate(application, now=now)):
                    raise _Refused
        except _Refused:
            refused += 1
            continue
        except Exception:  # an organisation the services refuse (blacklisted, …): skip it
            refused += 1
            continue
        drafts.append((session_for(user.pk), application.pk))
    return drafts


class _Refused(Exception):
    """The draft would be refused on submit: roll it back and try the next organisation."""
