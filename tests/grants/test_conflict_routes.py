"""The conflict rule on every route (回避): a conflicted reviewer never sees the application.

The routes are not listed by hand: the test walks the project's URL resolver, so a route added
tomorrow (by any area of the review, the API or the applicant side) is checked without anyone
remembering to add it. Every object the conflicted application has — the call, the application,
the reviewer's assignment and score sheet, an attachment, the conflict record, a 路演 session and
slot, the review summary — is created with ONE id (``TARGET``), so every integer in every route
points at something of the application, whatever the route calls it.

For each route that takes an id and concerns applications, reviews or files, the conflicted
reviewer gets 403 or 404 (405 for the wrong method, then the other method is tried), unless the
route is public (an anonymous visitor gets 200 there too). For every route with an id, whatever
the answer, the response never contains the application's content: its summary, its need, the
attached file, another reviewer's comment or total, the reviewer's own draft.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import URLResolver, get_resolver, reverse
from django.urls.resolvers import RoutePattern
from django.utils import timezone

from grants.enums import AssignmentState, ConflictSource, ReviewRound, SheetStatus
from grants.models import (
    Attachment,
    ConflictRecord,
    CriterionScore,
    PitchSession,
    PitchSlot,
    ReviewAssignment,
    ReviewSummary,
    RubricCriterion,
    ScoreSheet,
)
from tests.factories import OrganisationFactory
from tests.grants.factories_review import (
    assign,
    in_review,
    make_reviewer,
    review_call,
    sheet,
)

A = AssignmentState
pytestmark = pytest.mark.django_db

TARGET = 900_001  # far above any sequence value a test reaches: explicit ids never collide
SUMMARY = "保密摘要-7Q2X"
NEED = "保密需求-8R3Y"
FILE = b"%PDF-1.4 SECRET-FILE-9S4Z"
PEER_COMMENT = "同行评语-5T6W"
PEER_TOTAL = "73.25"
OWN_DRAFT = "本人草稿-4U7V"
MARKERS = (SUMMARY, NEED, FILE.decode(), PEER_COMMENT, PEER_TOTAL, OWN_DRAFT)

# Infrastructure with its own permission systems and no application data for reviewers.
SKIPPED_PREFIXES = ("admin/", "django-admin/", "documents/", "accounts/", "i18n/")
# A route whose path says it concerns applications, reviews or their files must answer 403/404.
APPLICATION_WORDS = (
    "application", "assignment", "attachment", "sheet", "review", "pitch", "slot",
    "workspace", "files/", "gongshi", "decision", "conflict",
)  # fmt: skip
PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def project_routes():
    """(route, has parameters) of every ``path()`` in the project, prefixes joined."""

    def walk(resolver, prefix):
        for pattern in resolver.url_patterns:
            if not isinstance(pattern.pattern, RoutePattern):
                continue  # re_path: Wagtail's page tree and admin, allauth — not ours
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern, route)
            else:
                yield route

    return sorted(
        {route for route in walk(get_resolver(), "") if not route.startswith(SKIPPED_PREFIXES)}
    )


def build(route: str, slug: str) -> str:
    def value(match):
        converter, name = match.group("converter"), match.group("name")
        if converter in ("int", "path") or name.endswith(("pk", "_id")) or name in ("pk", "slot"):
            return str(TARGET)
        if name == "slug":
            return slug
        return "x"

    return "/" + PARAMETER.sub(value, route)


def concerns_applications(route: str) -> bool:
    return any(word in route for word in APPLICATION_WORDS)


def body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


@pytest.fixture
def world(request):
    """The conflicted application with everything it has, all with the id ``TARGET``."""
    how = request.param
    call = review_call(pk=TARGET, slug="conflict-call")
    criteria = list(RubricCriterion.objects.filter(call=call))
    application = in_review(
        call,
        pk=TARGET,
        title="邻里守望",
        summary=SUMMARY,
        need=NEED,
        organisation=OrganisationFactory(name="彩虹社工中心"),
    )
    attachment = Attachment(
        pk=TARGET,
        application=application,
        kind="plan",
        original_name="plan.pdf",
        content_type="application/pdf",
        size=len(FILE),
        sha256="0" * 64,
        uploaded_by=application.created_by,
    )
    attachment.file.save("conflict-plan.pdf", ContentFile(FILE), save=False)
    attachment.save()

    # another reviewer has scored: their comment and total must stay hidden too
    peer = assign(application, make_reviewer(), A.SUBMITTED)
    peer_sheet = sheet(peer, submitted=True, total=Decimal(PEER_TOTAL), comment=PEER_COMMENT)
    CriterionScore.objects.filter(sheet=peer_sheet).update(comment=PEER_COMMENT)

    conflicted = make_reviewer(username="conflicted")
    state = {
        "register": A.ACCEPTED,
        "register_after_submit": A.SUBMITTED,
        "declared": A.CONFLICTED,
        "declined": A.DECLINED,
        "withdrawn": A.WITHDRAWN,
    }[how]
    assignment = ReviewAssignment.objects.create(
        pk=TARGET,
        application=application,
        reviewer=conflicted,
        state=state,
        round=ReviewRound.WRITTEN,
        declared_at=timezone.now(),
    )
    ScoreSheet.objects.create(
        pk=TARGET,
        assignment=assignment,
        comment=OWN_DRAFT,
        **(
            {
                "status": SheetStatus.SUBMITTED,
                "total": Decimal("60"),
                "submitted_at": timezone.now(),
            }
            if state == A.SUBMITTED
            else {}
        ),
    )
    CriterionScore.objects.create(
        sheet_id=TARGET, criterion=criteria[0], score=Decimal("10"), comment=OWN_DRAFT
    )
    if how in ("register", "register_after_submit", "declared"):
        ConflictRecord.objects.create(
            pk=TARGET,
            reviewer=conflicted,
            application=application,
            source=ConflictSource.DECLARED if how == "declared" else ConflictSource.DETECTED,
            reason="曾任该机构顾问",
        )
    session = PitchSession.objects.create(
        pk=TARGET, call=call, title="第一场路演", starts_at=timezone.now()
    )
    PitchSlot.objects.create(
        pk=TARGET, session=session, application=application, position=1, starts_at=timezone.now()
    )
    ReviewSummary.objects.create(pk=TARGET, application=application)
    return {
        "call": call,
        "application": application,
        "assignment": assignment,
        "conflicted": conflicted,
        "session": session,
    }


HOW = ["register", "register_after_submit", "declared", "declined", "withdrawn"]


@pytest.mark.parametrize("world", HOW, indirect=True)
def test_a_conflicted_reviewer_gets_403_or_404_on_every_application_route(client, world):
    routes = [route for route in project_routes() if PARAMETER.search(route)]
    assert len(routes) > 40  # the walk found the project's routes, not an empty list
    public, refused = [], []
    for route in routes:
        target = build(route, world["call"].slug)
        client.logout()
        anonymous = client.get(target)
        client.force_login(world["conflicted"])
        answers = {}
        for method in ("get", "post"):
            kwargs = {}
            if method == "post" and route.startswith("api/"):
                kwargs = {"content_type": "application/json", "data": "{}"}
            response = getattr(client, method)(target, **kwargs)
            answers[method] = response.status_code
            content = body(response)
            leaked = [marker for marker in MARKERS if marker in content]
            assert not leaked, f"{method.upper()} {target} shows {leaked}"
        if anonymous.status_code == 200:
            public.append(route)
            continue
        if not concerns_applications(route):
            continue
        allowed = {403, 404, 405}
        if not (set(answers.values()) <= allowed and set(answers.values()) != {405}):
            refused.append(f"{route}: {answers}")
    assert not refused, "routes that do not refuse the conflicted reviewer:\n" + "\n".join(refused)


@pytest.mark.parametrize("world", ["register", "declared"], indirect=True)
def test_no_page_without_an_id_shows_the_conflicted_application(client, world):
    client.force_login(world["conflicted"])
    for route in project_routes():
        if PARAMETER.search(route) or route.endswith((".xml", ".txt")):
            continue
        content = body(client.get("/" + route))
        leaked = [marker for marker in MARKERS if marker in content]
        assert not leaked, f"/{route} shows {leaked}"
    assert "邻里守望" not in body(client.get(reverse("grants:review_dashboard")))


@pytest.mark.parametrize("world", ["register"], indirect=True)
def test_a_conflicted_judge_of_the_pitch_session_sees_nothing_of_the_application(client, world):
    world["session"].judges.add(world["conflicted"])
    client.force_login(world["conflicted"])
    for route in project_routes():
        if "pitch" not in route:
            continue
        for method in ("get", "post"):
            content = body(getattr(client, method)(build(route, world["call"].slug)))
            leaked = [marker for marker in MARKERS if marker in content]
            assert not leaked, f"{method.upper()} /{route} shows {leaked}"


@pytest.mark.parametrize("world", ["register"], indirect=True)
def test_the_api_denies_the_conflicted_reviewer(client, world):
    client.force_login(world["conflicted"])
    for path in (
        f"/api/v1/applications/{TARGET}",
        f"/api/v1/applications/{TARGET}/transitions",
    ):
        assert client.get(path).status_code == 404
    assert SUMMARY not in body(client.get("/api/v1/applications/mine"))


def test_an_unconflicted_assigned_reviewer_opens_the_review_page_and_the_file(client):
    # given the same application and a reviewer with no conflict who signed the declaration
    call = review_call()
    application = in_review(call, summary=SUMMARY, need=NEED)
    reviewer = make_reviewer()
    assignment = assign(application, reviewer, A.ACCEPTED)
    attachment = Attachment(
        application=application,
        kind="plan",
        original_name="plan.pdf",
        content_type="application/pdf",
        size=len(FILE),
        sha256="0" * 64,
        uploaded_by=application.created_by,
    )
    attachment.file.save("open-plan.pdf", ContentFile(FILE), save=False)
    attachment.save()
    client.force_login(reviewer)

    # when they open the review page and the file, then they see the content
    page = client.get(reverse("grants:review_assignment", args=[assignment.pk]))
    assert page.status_code == 200
    assert SUMMARY in body(page) and NEED in body(page)
    download = client.get(reverse("grants:review_attachment", args=[assignment.pk, attachment.pk]))
    assert download.status_code == 200 and body(download) == FILE.decode()
