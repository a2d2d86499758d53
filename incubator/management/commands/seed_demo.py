"""``manage.py seed_demo [--scale N]``: the Chinese demo data set, safe to run again and again.

Each capability seeds its own data in ``<app>/demo.py`` with ``seed(*, stdout)`` and, for benchmarks,
``seed_scale(*, n, stdout)``. A new capability adds its module to ``SEEDERS`` below, after the
modules whose rows it needs. Every seeder looks rows up by natural key and creates only what is
missing, so a second run creates nothing and leaves data edited through the demo alone.
"""

from __future__ import annotations

import importlib
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

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


class Command(BaseCommand):
    help = "Create the demo data (Chinese): communities, organisations, demo accounts, calls, public site."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=int,
            default=0,
            metavar="N",
            help="Also create a large benchmark data set: N×100 organisations, N×10 communities, "
            "N programmes with calls, N×10 applicant accounts.",
        )

    def handle(self, *args, scale: int, **options):
        if scale < 0:
            raise CommandError("--scale must be 0 or a positive whole number.")
        started = time.monotonic()
        modules = [importlib.import_module(name) for name in SEEDERS]
        # One transaction: a failure leaves no half-seeded database, and SQLite is far faster this way.
        with transaction.atomic():
            self.stdout.write("益创演示数据 Yichuang demo data")
            for module in modules:
                module.seed(stdout=self.stdout)
            self._build_site()
            if scale:
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
