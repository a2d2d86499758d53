"""Demo donations and matching funds on the funded projects of ``grants.demo_projects``.

A 1:1 pledge of 南通市邻里守望公益基金会 to the matching pool of the 崇川 programme (the community
demo's pledges belong to another programme), and a few gifts from the public to two running
projects, booked as if Stripe's webhook had confirmed them: the ``donation`` ledger entries, the
matching entries (through the same service the webhook uses) and the donations, with fake
``pi_demo_…`` ids. No call to Stripe.

Idempotent: the donor and pledge are found by name and programme, a donation by its PaymentIntent id.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from grants.demo import FUNDED_CALL_SLUG
from grants.models import Application, Call, Donation
from grants.services.donations import book_received
from incubator.enums_community import DonorKind, PledgeState
from incubator.models import Donor, MatchingPledge

FOUNDATION = "南通市邻里守望公益基金会"

# (project title, PaymentIntent id, donor name ("" = anonymous), yuan, days ago, message)
# fmt: off
DONATIONS: tuple[tuple[str, str, str, str, int, str], ...] = (
    ("“邻里+”楼道长守望探访计划", "pi_demo_lzsw_001", "顾建国", "500", 60, "感谢楼道长们对我母亲的照顾。"),
    ("“邻里+”楼道长守望探访计划", "pi_demo_lzsw_002", "", "200", 41, ""),
    ("“邻里+”楼道长守望探访计划", "pi_demo_lzsw_003", "和平桥街道退休教师协会", "1000", 20, "守望相助，邻里情深。"),
    ("残障人士社区融合与辅助就业", "pi_demo_czrh_001", "陆晓燕", "300", 75, "愿每个人都有工作的尊严。"),
    ("残障人士社区融合与辅助就业", "pi_demo_czrh_002", "朝晖社区爱心商户联盟", "2000", 33, "为融合集市加油！"),
    ("残障人士社区融合与辅助就业", "pi_demo_czrh_003", "", "100", 9, ""),
)
# fmt: on


def seed(*, stdout) -> None:
    call = Call.objects.filter(slug=FUNDED_CALL_SLUG).select_related("programme").first()
    if call is None:
        stdout.write("  捐赠 donations: skipped (the funded demo call is missing)")
        return
    projects = {
        a.title: a
        for a in Application.objects.filter(
            call=call, title__in={row[0] for row in DONATIONS}
        ).select_related("call__programme")
    }
    with transaction.atomic():
        donor, _ = Donor.objects.get_or_create(
            name=FOUNDATION,
            defaults={
                "kind": DonorKind.COMPANY,
                "contact_name": "季秀兰",
                "contact_phone": "13962988125",
                "note": "支持崇川区“邻里+”项目的公众募捐，按1:1配捐。",
            },
        )
        pledge, pledge_new = MatchingPledge.objects.get_or_create(
            donor=donor,
            programme=call.programme,
            application=None,
            defaults={
                "ratio": Decimal("1.00"),
                "cap_amount": Decimal("20000.00"),
                "state": PledgeState.ACTIVE,
                "pledged_on": timezone.localdate() - timedelta(days=90),
                "note": "配捐期内公众每捐1元，基金会配捐1元，总额不超过2万元。",
            },
        )
        created = 0
        matched = Decimal("0.00")
        now = timezone.now()
        for title, pi, name, amount, days_ago, message in DONATIONS:
            project = projects.get(title)
            if project is None or Donation.objects.filter(stripe_payment_intent_id=pi).exists():
                continue
            when = now - timedelta(days=days_ago)
            donation = Donation(
                application=project,
                amount=Decimal(amount),
                donor_name=name,
                message=message,
                stripe_payment_intent_id=pi,
                created_at=when,
            )
            donation.save(force_insert=True)
            matched += book_received(donation, occurred_at=when)
            created += 1
    stdout.write(
        f"  捐赠 donations: {created} created, matched ¥{matched}; "
        f"pledge {'created' if pledge_new else 'kept'} ({pledge.donor.name} 1:1)"
    )
