"""``manage.py seed_demo [--scale N | --scale city]``: the Chinese demo data set, safe to run again.

Each capability seeds its own data in ``<app>/demo.py`` with ``seed(*, stdout)`` and, for benchmarks,
``seed_scale(*, n, stdout)``. A new capability adds its module to ``SEEDERS`` below, after the
modules whose rows it needs. Every seeder looks rows up by natural key and creates only what is
missing, so a second run creates nothing and leaves data edited through the demo alone.

``--scale city`` (PostgreSQL only) adds the city-scale benchmark data of ``grants.demo_city``
instead: 5,000 organisations, 50,000 applications, 500,000 volunteer-hour records and more.
"""

from __future__ import annotations

import argparse
import importlib
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

# In dependency order: places and organisations, then people, then programmes and calls.
SEEDERS = (
    "incubator.demo",
    "accounts.demo",
    "grants.demo",
    "grants.demo_lifecycle",  # applications in several states, through the real services
    "grants.demo_review_flow",  # expert review, 路演, ranking and 公示 with objections
    "grants.demo_projects",  # funded projects: agreements, tranches and the ledger, every state
    "grants.demo_funding",  # agreements to sign, disbursements in every state
    "grants.demo_donations",  # donations and matching funds
    "grants.demo_finance",  # expenses, overrun approvals, a clawback
    "grants.demo_reports",  # milestone plans and reports, one overdue
    "grants.demo_evaluations",  # mid-term and final evaluations, one failed
    "grants.demo_feedback",  # resident feedback (群众评议)
    "incubator.demo_incubation",  # an incubation base with a cohort in every state
    "incubator.demo_volunteers",  # volunteers, activities, hours, points and rewards
    "incubator.demo_community",  # social workers, charitable resources, resident proposals
)


CITY = "city"


def scale_value(value: str) -> int | str:
    """``--scale``: a whole number N ≥ 0, or ``city``."""
    if value.strip().lower() == CITY:
        return CITY
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--scale takes a whole number or {CITY!r}, not {value!r}."
        ) from None


class Command(BaseCommand):
    help = "Create the demo data (Chinese): communities, organisations, demo accounts, calls, public site."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=scale_value,
            default=0,
            metavar="N|city",
            help="Also create a large benchmark data set: N×100 organisations, N×10 communities, "
            "N programmes with calls, N×10 applicant accounts; or, with 'city' (PostgreSQL only), "
            "the city-scale set: 5,000 organisations, 200 calls, 50,000 applications, 250,000 "
            "review scores, 100,000 ledger rows, 20,000 volunteers, 500,000 volunteer hours.",
        )
        # The tests build the city set small; not for people.
        parser.add_argument("--city-factor", type=float, default=1.0, help=argparse.SUPPRESS)

    def handle(self, *args, scale: int | str, city_factor: float = 1.0, **options):
        city = scale == CITY
        if city and connection.vendor != "postgresql":
            raise CommandError(
                "--scale city needs PostgreSQL (it writes with COPY and relies on the ledger "
                "triggers): set DATABASE_URL=postgres://… and run it again."
            )
        if not city and scale < 0:
            raise CommandError("--scale must be 0 or a positive whole number.")
        if city_factor <= 0:
            raise CommandError("--city-factor must be more than 0.")
        started = time.monotonic()
        modules = [importlib.import_module(name) for name in SEEDERS]
        # One transaction: a failure leaves no half-seeded database, and SQLite is far faster this way.
        with transaction.atomic():
            self.stdout.write("益创演示数据 Yichuang demo data")
            for module in modules:
                module.seed(stdout=self.stdout)
            self._build_site()
            if city:
                self.stdout.write("城市规模基准数据 city-scale benchmark data")
                self.city_counts = self._seed_city(factor=city_factor)
            elif scale:
                self.stdout.write(f"基准数据 benchmark data, scale {scale}")
                for module in modules:
                    seed_scale = getattr(module, "seed_scale", None)
                    if seed_scale is not None:
                        seed_scale(n=scale, stdout=self.stdout)
            # Last: the demo builders write rows without the signals that keep search current.
            from cms.search import seed_index

            seed_index(stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready in {time.monotonic() - started:.1f} s.")
        )

    def _seed_city(self, *, factor: float) -> dict[str, int]:
        from grants.demo_city import seed_city

        counts = seed_city(factor=factor, stdout=self.stdout)
        if counts:
            self.stdout.write(
                "  城市数据合计 city rows created: "
                + ", ".join(f"{name} {count:,}" for name, count in counts.items())
            )
        return counts

    def _build_site(self) -> None:
        """The public Wagtail site is built by cms.demo, owned by the cms capability."""
        try:
            cms_demo = importlib.import_module("cms.demo")
        except ModuleNotFoundError as exc:
            if exc.name != "cms.demo":
                raise  # cms.demo exists but imports something missing: a bug to surface
            cms_demo = None
        build_site = getattr(cms_demo, "build_site", None)
        if build_site is None:
            self.stderr.write(
                "  公共网站 public site: NOT built: cms.demo.build_site() does not exist yet. "
                "The rest of the demo data is in place."
            )
            return
        build_site(stdout=self.stdout)
