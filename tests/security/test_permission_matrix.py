"""The permission matrix: every route of the site, requested as every role, against a table.

The routes are not listed by hand: the test walks Django's URL resolver (our apps, the /api/v1/
routes of django-ninja, the CMS, allauth, Wagtail's page server; the Wagtail and Django admins by
their roots only, since they have their own permission systems). Each route must be classified in
``tests/security/_matrix.py``; a route that is not fails the test with its name, so a new route
cannot ship unclassified. The URL arguments are real objects of the full demo (``_targets.py``),
and the personas are resolved against them: "owner" is a member of the organisation that owns
*that* application, "reviewer" the reviewer assigned to *that* application, and so on.

For every (route, role): GET (a route open to everyone is requested as a sample of the roles,
``OPEN_ROUTE_ROLES``); and for every role the table refuses (deny or login), also an empty POST,
which must be refused too and change no row. Every request runs in a savepoint that
is rolled back, so what one request does cannot change what the next one sees; writes are
counted with PostgreSQL's per-transaction table statistics, which count rows written even in a
rolled-back savepoint.

To write or review the table: ``MATRIX_DUMP=/tmp/matrix.json pytest … test_permission_matrix.py``
saves every answer (status, outcome, rows written) and the run's timings.
"""

from __future__ import annotations

import json
import os
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from accounts.enums import Role
from accounts.models import User
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.security._matrix import ALLOW, DENY, LOGIN, MATRIX, expected, roles_for
from tests.security._routes import project_routes
from tests.security._targets import TARGETS, Target, World

# The walk (marked slow and postgres below) seeds the full demo, about half a minute, and makes
# some 4,000 requests; writes are counted with PostgreSQL's statistics. The table check alone is
# instant and runs anywhere.

# Tables a refused request may still write: the session (messages, the next URL).
IGNORED_TABLES = ("django_session",)


def url_for(route: str, name: str | None, target: Target) -> str:
    if name is None:
        return "/" + route
    return reverse(name, args=target.args or None, kwargs=target.kwargs or None)


def outcome(response) -> str:
    status = response.status_code
    location = response.get("Location", "")
    if status == 401 or (300 <= status < 400 and "/login/" in location):
        return LOGIN
    if status in (403, 404):
        return DENY
    if status == 405:
        return "method"
    if status >= 500:
        return f"error {status}"
    if 300 <= status < 400:
        return "redirect"
    if status >= 400:
        return f"status {status}"
    return ALLOW


def rows_written() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)"
            " FROM pg_stat_xact_user_tables WHERE relname <> ALL(%s)",
            [list(IGNORED_TABLES)],
        )
        return int(cursor.fetchone()[0])


def request(client: Client, method: str, url: str, *, watch: bool) -> tuple[str, bool, int]:
    """(outcome, whether rows were written, status), inside a savepoint that is rolled back.

    Writes are only counted when ``watch`` is set (a refused request): the count costs a query.
    """
    before = rows_written() if watch else 0
    kwargs = {}
    if method == "post" and url.startswith("/api/"):
        kwargs = {"data": "{}", "content_type": "application/json"}
    with transaction.atomic():
        response = getattr(client, method)(url, **kwargs)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
        transaction.set_rollback(True)
    return outcome(response), watch and rows_written() != before, response.status_code


class People:
    """The personas, fixed or resolved against a target."""

    def __init__(self):
        demo = {user.username: user for user in User.objects.filter(username__in=DEMO_NAMES)}
        self.fixed = {
            "officer": demo["officer"],
            "finance": demo["finance"],
            "evaluator": demo["evaluator"],
            "community": demo["community"],
            "volunteer": demo["volunteer1"],
            "superuser": demo["admin"],
        }
        self.default_owner = demo["ngo1"]
        self.default_reviewer = demo["reviewer1"]
        elsewhere = OrganisationFactory(name="矩阵外机构")
        self.fixed["other_applicant"] = self._member("mx-other", Role.APPLICANT, elsewhere)
        self.fixed["other_reviewer"] = self._member("mx-reviewer", Role.REVIEWER)
        self.fixed["social_worker"] = self._member("mx-social", Role.SOCIAL_WORKER, elsewhere)
        self.fixed["donor"] = self._member("mx-donor", Role.DONOR)
        self._owners: dict[int, User] = {}
        self._clients: dict[int | None, Client] = {None: Client()}

    @staticmethod
    def _member(username, role, organisation=None) -> User:
        user = UserFactory(username=username)
        MembershipFactory(user=user, role=role, organisation=organisation)
        return user

    def owner(self, target: Target) -> User:
        if target.owner is not None:
            return target.owner
        organisation = target.organisation
        if organisation is None:
            return self.default_owner
        if organisation.pk not in self._owners:
            self._owners[organisation.pk] = self._member(
                f"mx-owner-{organisation.pk}", Role.APPLICANT, organisation
            )
        return self._owners[organisation.pk]

    def user(self, role: str, target: Target) -> User | None:
        if role == "anonymous":
            return None
        if role == "owner":
            return self.owner(target)
        if role == "reviewer":
            return target.reviewer or self.default_reviewer
        if role == "evaluator" and target.evaluator is not None:
            return target.evaluator
        if role == "volunteer" and target.volunteer is not None:
            return target.volunteer
        return self.fixed[role]

    def client(self, user: User | None) -> Client:
        key = user.pk if user else None
        if key not in self._clients:
            client = Client()
            client.force_login(user)
            self._clients[key] = client
        return self._clients[key]


DEMO_NAMES = ("officer", "finance", "evaluator", "community", "volunteer1", "admin", "ngo1",
              "reviewer1")  # fmt: skip


@pytest.fixture(scope="module")
def walked(django_db_setup, django_db_blocker):
    """Every (route, role) requested once on the full demo; rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        started = time.monotonic()
        call_command("seed_demo", stdout=StringIO(), stderr=StringIO())
        seeded = time.monotonic()
        world = World()
        people = People()
        observed: dict[str, dict[str, dict]] = {}
        problems: list[str] = []
        for route, name in sorted(project_routes().items()):
            build = TARGETS.get(route)
            try:
                target = build(world) if build else Target()
                url = url_for(route, name, target)
            except Exception as error:  # noqa: BLE001 - reported per route, not the first only
                problems.append(f"{route}: no target ({error!r})")
                continue
            row = observed.setdefault(route, {"url": url})
            for role in roles_for(route):
                client = people.client(people.user(role, target))
                want = expected(route, role)
                refused = want != ALLOW
                got, wrote, status = request(client, "get", url, watch=refused)
                cell = {"get": got, "get_status": status, "get_wrote": wrote}
                if want in (DENY, LOGIN) or (want is None and got != ALLOW):
                    got_post, wrote_post, status_post = request(client, "post", url, watch=True)
                    cell.update(post=got_post, post_status=status_post, post_wrote=wrote_post)
                row[role] = cell
        if os.environ.get("MATRIX_DUMP"):  # the raw answers, to write or review the table
            stats = {
                "seed_seconds": round(seeded - started, 1),
                "walk_seconds": round(time.monotonic() - seeded, 1),
                "pairs": sum(len(row) - 1 for row in observed.values()),
                "posts": sum("post" in cell for row in observed.values() for cell in row.values()
                             if isinstance(cell, dict)),
            }  # fmt: skip
            with open(os.environ["MATRIX_DUMP"], "w") as dump:
                json.dump({"_stats": stats, **observed}, dump, indent=1, ensure_ascii=False)
        yield observed, problems
        transaction.set_rollback(True)


def test_every_route_is_classified_in_the_table():
    missing = sorted(set(project_routes()) - set(MATRIX))
    assert not missing, "routes missing from tests/security/_matrix.py:\n" + "\n".join(missing)
    stale = sorted(set(MATRIX) - set(project_routes()))
    assert not stale, "routes in the table that no longer exist:\n" + "\n".join(stale)


@pytest.mark.django_db
@pytest.mark.postgres
@pytest.mark.slow
def test_every_route_has_a_real_target(walked):
    _observed, problems = walked
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
@pytest.mark.postgres
@pytest.mark.slow
def test_every_role_gets_what_the_table_says_on_every_route(walked):
    observed, _problems = walked
    wrong = []
    checked = 0
    for route, row in observed.items():
        for role in roles_for(route):
            want = expected(route, role)
            if want is None:
                continue  # reported by test_every_route_is_classified_in_the_table
            cell = row[role]
            checked += 1
            fails = _mismatch(want, cell)
            if fails:
                wrong.append(f"{route} as {role} ({row['url']}): {fails}")
    assert checked > 1500, checked
    assert not wrong, f"{len(wrong)} of {checked} (route, role) pairs differ:\n" + "\n".join(wrong)


def _mismatch(want: str, cell: dict) -> str:
    get, post = cell["get"], cell.get("post")
    if want == ALLOW:
        if get in (ALLOW, "redirect", "method") or get.startswith("status 4"):
            return ""
        return f"GET {cell['get_status']}, expected to be allowed"
    problems = []
    if get not in (want, "method"):
        problems.append(f"GET {cell['get_status']} ({get}), expected {want}")
    if cell["get_wrote"]:
        problems.append("GET wrote rows")
    if post is None:
        problems.append("POST not tried")
    elif post not in (want, "method"):
        problems.append(f"POST {cell['post_status']} ({post}), expected {want}")
    if cell.get("post_wrote"):
        problems.append("POST wrote rows")
    return "; ".join(problems)
