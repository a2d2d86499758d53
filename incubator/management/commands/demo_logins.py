"""``manage.py demo_logins``: the demo accounts and where to use them, in Chinese and English.

``make run`` prints this before starting the server. The rows come from ``accounts.demo.DEMO_USERS``
and the database, so an account the seed did not create shows up as missing instead of lying.
Like Django's own commands, the console text is not run through gettext: it is printed in both
languages at once. Role names do come from the ``Role`` labels, shown in Chinese and English.
"""

from __future__ import annotations

import unicodedata

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation

from accounts.demo import DEMO_PASSWORD, DEMO_USERS
from accounts.enums import Role
from accounts.models import User


def bilingual(text) -> str:
    """The text in Chinese then English; once when both read the same (not translated yet)."""
    with translation.override("zh-hans"):
        chinese = str(text)
    with translation.override("en"):
        english = str(text)
    return chinese if chinese == english else f"{chinese} {english}"


def width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def pad(text: str, columns: int) -> str:
    return text + " " * (columns - width(text))


class Command(BaseCommand):
    help = (
        "Print the demo logins (username, role, organisation, password) and the demo's addresses."
    )

    def handle(self, *args, **options):
        users = {
            user.username: user
            for user in User.objects.filter(
                username__in=[spec.username for spec in DEMO_USERS]
            ).prefetch_related("memberships__organisation", "memberships__community__parent")
        }
        header = [
            "用户名 Username",
            "姓名 Name",
            "角色 Role",
            "机构或社区 Organisation or community",
            "密码 Password",
        ]
        rows = []
        for spec in DEMO_USERS:
            user = users.get(spec.username)
            if user is None:
                rows.append(
                    [
                        spec.username,
                        spec.display_name,
                        "未创建 missing: run `make seed`",
                        "",
                        "",
                    ]
                )
                continue
            membership = next((m for m in user.memberships.all() if m.is_active), None)
            if membership is not None:
                role = bilingual(Role(membership.role).label)
                where = membership.organisation or membership.community
                place = where.full_name if hasattr(where, "full_name") else str(where or "")
            else:
                role = "超级管理员 Superuser" if user.is_superuser else "—"
                place = ""
            rows.append([user.username, str(user), role, place or "—", DEMO_PASSWORD])

        columns = [max(width(row[i]) for row in [header, *rows]) for i in range(len(header))]
        line = "  ".join("-" * c for c in columns)
        self.stdout.write("")
        self.stdout.write(f"益创演示账号 Yichuang demo logins (密码 password: {DEMO_PASSWORD})")
        self.stdout.write(line)
        self.stdout.write(
            "  ".join(pad(cell, c) for cell, c in zip(header, columns, strict=True)).rstrip()
        )
        self.stdout.write(line)
        for row in rows:
            self.stdout.write(
                "  ".join(pad(cell, c) for cell, c in zip(row, columns, strict=True)).rstrip()
            )
        self.stdout.write(line)

        site = settings.SITE_URL
        links = [
            ("公共网站 Public site", f"{site}/"),
            ("管理后台 Administration", f"{site}/admin/"),
            ("我的工作台 My workspace", f"{site}/me/"),
            ("接口文档 API documentation", f"{site}/api/v1/docs"),
        ]
        label_width = max(width(label) for label, _url in links)
        for label, url in links:
            self.stdout.write(f"{pad(label, label_width)}  {url}")
        self.stdout.write("")
