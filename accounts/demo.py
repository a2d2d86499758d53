"""Demo accounts: one per role, all with the password ``yichuang-demo`` and a verified e-mail.

``DEMO_USERS`` is also what ``manage.py demo_logins`` prints, so the table and the data cannot drift
apart. Accounts are only created, never reset: a demo user who changed their password keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password

from accounts.enums import Role
from accounts.models import Membership, User
from incubator.demo import (
    NGO1_ORGANISATION,
    NGO2_ORGANISATION,
    NGO3_ORGANISATION,
    demo_unit,
    scale_organisation_plan,
)
from incubator.models import Organisation

DEMO_PASSWORD = "yichuang-demo"  # noqa: S105 - published on purpose: it is the demo's password
EMAIL_DOMAIN = "demo.yichuang.example"  # .example is reserved (RFC 2606): mail never leaves


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: str | None  # None: the superuser, who needs no membership
    organisation: str = ""  # organisation name, for applicant members
    community: tuple[str, str] | None = None  # (district, 社区) for community workers
    is_staff: bool = False
    is_superuser: bool = False

    @property
    def email(self) -> str:
        return f"{self.username}@{EMAIL_DOMAIN}"


# Seven experts: panels of five can still be drawn around conflicts.
REVIEWERS = (("王建国", "reviewer1"), ("赵晓梅", "reviewer2"), ("孙立群", "reviewer3"), ("钱文博", "reviewer4"),
             ("吴佳怡", "reviewer5"), ("郑海燕", "reviewer6"), ("冯志远", "reviewer7"))  # fmt: skip

DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", "平台管理员", None, is_staff=True, is_superuser=True),
    DemoUser("officer", "陈思远", Role.OFFICER, is_staff=True),
    DemoUser("finance", "周敏", Role.FINANCE, is_staff=True),
    *(DemoUser(username, name, Role.REVIEWER) for name, username in REVIEWERS),
    DemoUser("evaluator", "徐立新", Role.EVALUATOR),
    DemoUser("community", "黄秀英", Role.COMMUNITY, community=("姑苏区", "钮家巷社区")),
    DemoUser("ngo1", "张晓燕", Role.APPLICANT, organisation=NGO1_ORGANISATION),
    DemoUser("ngo2", "何志刚", Role.APPLICANT, organisation=NGO2_ORGANISATION),
    DemoUser("ngo3", "陆雅琴", Role.APPLICANT, organisation=NGO3_ORGANISATION),
    DemoUser("volunteer1", "林小雨", Role.VOLUNTEER),
)


def _organisation(name: str) -> Organisation:
    # The demo organisations have unique names; filter().first() keeps a clear error if one is gone.
    organisation = Organisation.objects.filter(name=name).order_by("pk").first()
    if organisation is None:
        raise RuntimeError(
            f"Demo organisation {name!r} is missing: incubator.demo.seed() must run first."
        )
    return organisation


def seed(*, stdout) -> None:
    # One hash for all: PBKDF2 is slow by design and every demo account shares the published password.
    password_hash = make_password(DEMO_PASSWORD)
    created_users = created_memberships = 0
    for spec in DEMO_USERS:
        user, new = User.objects.get_or_create(
            username=spec.username,
            defaults={
                "email": spec.email,
                "display_name": spec.display_name,
                "password": password_hash,
                "is_staff": spec.is_staff,
                "is_superuser": spec.is_superuser,
            },
        )
        created_users += new
        EmailAddress.objects.get_or_create(
            user=user, email=user.email or spec.email, defaults={"verified": True, "primary": True}
        )
        if spec.role is None:
            continue
        organisation = _organisation(spec.organisation) if spec.organisation else None
        community = demo_unit(*spec.community) if spec.community else None
        _, new = Membership.objects.get_or_create(
            user=user, role=spec.role, organisation=organisation, defaults={"community": community}
        )
        created_memberships += new
    stdout.write(
        f"  账号 accounts: {created_users} created, memberships: {created_memberships} created"
    )


# --- benchmark data --------------------------------------------------------------------------------

SCALE_USERNAME = "bench{i:05d}"


def seed_scale(*, n: int, stdout) -> None:
    """N×10 applicant accounts, each a member of one benchmark organisation, with verified e-mail."""
    wanted = [
        (SCALE_USERNAME.format(i=i), name)
        for i, _type, _district, name in scale_organisation_plan(n)[: n * 10]
    ]
    existing = set(
        User.objects.filter(username__in=[u for u, _ in wanted]).values_list("username", flat=True)
    )
    missing = [(username, org) for username, org in wanted if username not in existing]
    if missing:
        password_hash = make_password(DEMO_PASSWORD)
        users = User.objects.bulk_create(
            [
                User(
                    username=username,
                    email=f"{username}@{EMAIL_DOMAIN}",
                    display_name=f"基准用户{username[5:]}",
                    password=password_hash,
                )
                for username, _ in missing
            ],
            batch_size=500,
        )
        # bulk_create sets primary keys on PostgreSQL and SQLite alike (RETURNING).
        organisations = dict(
            Organisation.objects.filter(name__in=[org for _, org in missing]).values_list(
                "name", "pk"
            )
        )
        Membership.objects.bulk_create(
            [
                Membership(user=user, role=Role.APPLICANT, organisation_id=organisations[org])
                for user, (_, org) in zip(users, missing, strict=True)
            ],
            batch_size=500,
        )
        EmailAddress.objects.bulk_create(
            [
                EmailAddress(user=user, email=user.email, verified=True, primary=True)
                for user in users
            ],
            batch_size=500,
        )
    stdout.write(f"  基准账号 benchmark accounts: {len(missing)} created")
