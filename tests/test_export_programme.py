"""manage.py export_programme: one programme's data in a ZIP an auditor can read without our code."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
import tracemalloc
import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.utils import timezone

from grants.enums import ApplicationState, AssignmentState, LedgerKind
from grants.models import (
    Application,
    BudgetLine,
    Donation,
    FeedbackState,
    LedgerEntry,
)
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    OrganisationFactory,
    ProgrammeFactory,
    UserFactory,
)
from tests.grants import factories_decisions as decisions
from tests.grants import factories_feedback as feedback
from tests.grants import factories_finance as finance
from tests.grants import factories_review as review

pytestmark = pytest.mark.django_db

TITLE = "邻里守望·独居老人探访“银龄”计划"
LEAK = "别的项目·不应出现"


def read_zip(path) -> tuple[dict, dict[str, bytes]]:
    with zipfile.ZipFile(path) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    return json.loads(contents["manifest.json"]), contents


def jsonl(contents, name) -> list[dict]:
    return [json.loads(line) for line in contents[f"{name}.jsonl"].decode().splitlines()]


def csv_rows(contents, name) -> list[dict]:
    return list(csv.DictReader(io.StringIO(contents[f"{name}.csv"].decode("utf-8-sig"))))


@pytest.fixture
def programme():
    """A programme with a funded project (agreement, tranches, ledger, attachment), a reviewed
    application, an objection, a donation and resident feedback; and a second programme."""
    officer = finance.staff("officer_x", "officer")
    call = CallFactory(
        programme=ProgrammeFactory(name="2026年崇川区公益创投大赛"),
        opens_at=timezone.now() - timedelta(days=200),
        closes_at=timezone.now() - timedelta(days=150),
    )
    funded = finance.funded_project(
        call=call, organisation=OrganisationFactory(name="崇川区和平桥邻里服务社")
    )
    Application.objects.filter(pk=funded.pk).update(title=TITLE)
    review.attach(funded, b"%PDF-1.4 plan \xe8\xae\xa1\xe5\x88\x92")
    review.add_rubric(call)
    reviewed = ApplicationFactory(
        call=call, state=ApplicationState.REVIEWED, title='=HYPERLINK("http://x","点我")'
    )
    reviewer = review.make_reviewer("rev_x", display_name="李评审")
    assignment = review.assign(reviewed, reviewer, state=AssignmentState.SUBMITTED)
    review.sheet(assignment, submitted=True, comment="需求分析扎实。")
    decisions.notice_for(call, by=officer)
    decisions.objection(reviewed, email="objector@private.example", phone="13912345678")
    Donation.objects.create(
        application=funded,
        amount=Decimal("200.00"),
        donor_name="热心市民",
        donor_email="donor@private.example",
        stripe_payment_intent_id="pi_export_1",
    )
    channel = feedback.channel_for(funded)
    feedback.verified_response(channel, phone="13800001111", satisfaction=5)
    feedback.verified_response(channel, phone="13800002222", satisfaction=3)
    feedback.verified_response(
        channel, phone="13800003333", satisfaction=1, state=FeedbackState.FLAGGED
    )
    # The other programme: nothing of it may appear in the export.
    other = finance.funded_project(
        award=Decimal("99999.00"),
        organisation=OrganisationFactory(name=LEAK + "机构"),
    )
    Application.objects.filter(pk=other.pk).update(title=LEAK)
    review.attach(other, b"%PDF-1.4 other programme")
    return call.programme


def test_export_carries_the_programme_and_only_it(programme, tmp_path):
    # when
    out = tmp_path / "export.zip"
    call_command("export_programme", str(programme.pk), output=str(out), stdout=io.StringIO())

    # then: the manifest names every file with a checksum that holds
    manifest, contents = read_zip(out)
    assert manifest["format_version"] == "1.0"
    assert manifest["programme"]["name"] == "2026年崇川区公益创投大赛"
    assert set(manifest["files"]) == set(contents) - {"manifest.json"}
    for name, entry in manifest["files"].items():
        assert hashlib.sha256(contents[name]).hexdigest() == entry["sha256"], name
        assert len(contents[name]) == entry["bytes"]

    # counts and money equal the database
    apps = Application.objects.filter(call__programme=programme)
    assert manifest["datasets"]["applications"]["rows"] == apps.count() == 2
    assert len(jsonl(contents, "applications")) == 2
    assert len(csv_rows(contents, "applications")) == 2
    lines = BudgetLine.objects.filter(application__in=apps)
    exported_lines = jsonl(contents, "budget_lines")
    assert len(exported_lines) == lines.count()
    assert (
        sum(Decimal(row["amount"]) for row in exported_lines)
        == lines.aggregate(total=Sum("amount"))["total"]
    )
    ledger = LedgerEntry.objects.filter(application__in=apps)
    exported_ledger = jsonl(contents, "ledger")
    assert len(exported_ledger) == ledger.count() == 2
    for kind in (LedgerKind.AWARD, LedgerKind.TRANCHE_PAID):
        expected = ledger.filter(kind=kind).aggregate(total=Sum("amount"))["total"]
        assert sum(Decimal(r["amount"]) for r in exported_ledger if r["kind"] == kind) == expected
        assert Decimal(manifest["ledger_totals"][kind]) == expected
    assert len(jsonl(contents, "tranches")) == 3
    assert len(jsonl(contents, "agreements")) == 1
    assert len(jsonl(contents, "criterion_scores")) == len(review.RUBRIC)
    assert [r["reviewer_id"] for r in jsonl(contents, "review_assignments")] == [
        r["id"] for r in jsonl(contents, "people") if r["display_name"] == "李评审"
    ]

    # Chinese text intact, in JSON and in the Excel-ready CSV (which starts with a BOM)
    assert TITLE in {row["title"] for row in jsonl(contents, "applications")}
    assert contents["applications.csv"].startswith(b"\xef\xbb\xbf")
    assert TITLE in {row["title"] for row in csv_rows(contents, "applications")}
    assert {row["state_label"] for row in csv_rows(contents, "applications")} <= {
        str(label) for label in ApplicationState.labels
    }
    # a title that Excel would run as a formula stays text in the CSV, exact in the JSON
    assert "'=HYPERLINK" in contents["applications.csv"].decode("utf-8-sig")
    assert any(r["title"].startswith("=HYPERLINK") for r in jsonl(contents, "applications"))

    # the attachment is in files/ with the content stored
    attachment = jsonl(contents, "attachments")[0]
    assert attachment["file_zip_path"].startswith("files/attachments/")
    assert contents[attachment["file_zip_path"]] == "%PDF-1.4 plan 计划".encode()

    # feedback only as aggregates
    (summary,) = jsonl(contents, "feedback_summary")
    assert summary["responses_counted"] == 2 and summary["responses_flagged"] == 1
    assert summary["satisfaction_mean"] == "4.00"

    # nothing of the other programme, and no personal data that must stay home
    everything = b"\n".join(contents.values()).decode("utf-8", errors="replace")
    assert LEAK not in everything
    assert "99999" not in everything
    for secret in (
        "md5$",  # the test password hasher's prefix: no password hash
        "pbkdf2",
        "@example.org",  # users' e-mail addresses
        "donor@private.example",
        "objector@private.example",
        "13912345678",  # the objector's phone
        "13800001111",  # residents' phones
        "10.0.0.8",  # where the agreement was accepted
    ):
        assert secret not in everything, secret
    assert "phone_hash" not in everything
    assert {row["donor_name"] for row in jsonl(contents, "donations")} == {"热心市民"}


def test_export_without_files_and_for_one_year(programme, tmp_path):
    # given: a call of the same programme that opened in another year
    old = CallFactory(
        programme=programme,
        opens_at=timezone.now().replace(year=2019, month=3),
        closes_at=timezone.now().replace(year=2019, month=5),
    )
    ApplicationFactory(call=old, title="2019年的老项目")
    year = (timezone.now() - timedelta(days=200)).year

    # when
    out = tmp_path / "one-year.zip"
    call_command(
        "export_programme", programme.name, output=str(out), year=year, include_files=False,
        stdout=io.StringIO(),
    )  # fmt: skip

    # then
    manifest, contents = read_zip(out)
    assert manifest["year"] == year and manifest["include_files"] is False
    assert not [name for name in contents if name.startswith("files/")]
    titles = {row["title"] for row in jsonl(contents, "applications")}
    assert "2019年的老项目" not in titles and TITLE in titles
    assert jsonl(contents, "attachments")[0]["file_zip_path"] == ""


def test_unknown_programme_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="No programme"):
        call_command("export_programme", "不存在的计划", output=str(tmp_path / "x.zip"))
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
@pytest.mark.postgres
def test_five_thousand_applications_export_in_bounded_memory(tmp_path):
    # given: a programme with 5,000 applications, 2 budget lines each and an award per project
    call = CallFactory(max_grant=Decimal("30000.00"))
    organisations = OrganisationFactory.create_batch(50)
    creator = UserFactory(username="bulk_creator")
    apps = Application.objects.bulk_create(
        Application(
            call=call, organisation=organisations[n % 50], created_by=creator,
            title=f"社区项目{n}号", summary="为社区独居老人提供探访服务。" * 10,
            requested_amount=Decimal("20000.00"), state=ApplicationState.ACTIVE,
        )
        for n in range(5000)
    )  # fmt: skip
    BudgetLine.objects.bulk_create(
        BudgetLine(application=a, position=p, category="activity", description="物资",
                   amount=Decimal("10000.00"))
        for a in apps for p in (0, 1)
    )  # fmt: skip
    LedgerEntry.objects.bulk_create(
        LedgerEntry(kind=LedgerKind.AWARD, amount=Decimal("20000.00"), programme=call.programme,
                    call=call, application=a, idempotency_key=f"bulk-award:{a.pk}")
        for a in apps
    )  # fmt: skip

    # when
    out = tmp_path / "big.zip"
    tracemalloc.start()
    started = time.monotonic()
    call_command("export_programme", str(call.programme.pk), output=str(out), stdout=io.StringIO())
    elapsed = time.monotonic() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    # then
    manifest, _contents = read_zip(out)
    assert manifest["datasets"]["applications"]["rows"] == 5000
    assert manifest["datasets"]["budget_lines"]["rows"] == 10000
    assert manifest["ledger_totals"][LedgerKind.AWARD] == "100000000.00"
    print(f"5,000 applications: {elapsed:.1f} s, {out.stat().st_size / 1e6:.1f} MB, "
          f"peak Python memory {peak / 1e6:.1f} MB")  # fmt: skip
    assert peak < 60_000_000, peak  # rows are streamed: far below the size of the data
    assert elapsed < 120


def test_export_runs_the_same_queries_for_1_and_30_applications(tmp_path):
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_of_export() -> int:
        ContentType.objects.clear_cache()
        with CaptureQueriesContext(connection) as queries:
            call_command(
                "export_programme", str(call.programme.pk), output=str(tmp_path / "q.zip"),
                stdout=io.StringIO(),
            )  # fmt: skip
        return len(queries)

    # given
    call = CallFactory()
    finance.funded_project(call=call)
    one = queries_of_export()

    # when
    for _ in range(29):
        finance.funded_project(call=call)

    # then: a fixed budget, whatever the number of rows
    assert queries_of_export() == one
