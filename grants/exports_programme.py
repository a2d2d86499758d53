"""One programme's data as a self-describing ZIP (``manage.py export_programme``).

The archive is meant for another system or an auditor who does not have our code:

* ``manifest.json`` — format version, when and what was exported, for every file its rows, bytes
  and SHA-256, the columns of every dataset, and what personal data is in and out;
* ``<dataset>.jsonl`` — one JSON object per row, the exact values (money as decimal strings,
  times in ISO 8601 UTC, JSON fields as JSON);
* ``<dataset>.csv`` — the same rows for Excel: UTF-8 with a BOM, nested values as JSON text, and
  text that a spreadsheet would run as a formula prefixed with ``'`` (the open-data CSV guard);
* ``files/…`` — the attached files (attachments, agreement PDFs, payment vouchers, receipts,
  report evidence); each row names its file in ``<field>_zip_path``.

Rows are streamed (``iterator(chunk_size=…)``) to temporary files and then into the ZIP, so memory
does not grow with the size of the programme. Columns are a model's concrete fields minus the ones
listed in ``PERSONAL_DATA_EXCLUDED``; a column with choices gets a ``<column>_label`` next to it in
the active language. Reviewer identities are exported (reviewer ids in assignments and conflicts,
their names in ``people``): the export is run by operators for officers and auditors, who need
them to check conflicts of interest; the archive must be handled as confidential.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.db.models import Avg, Count, Q, Sum
from django.utils import timezone
from django_fsm_log.models import StateLog

from grants import models as gm
from incubator.models import Community, Organisation
from yichuang.csv_safety import spreadsheet_cell as csv_cell

FORMAT_VERSION = "1.0"
CHUNK_SIZE = 2000

# Columns left out everywhere (by model label and field name), and why. Keep in step with
# docs/backup.md ("What export_programme carries").
PERSONAL_DATA_EXCLUDED: dict[str, tuple[str, ...]] = {
    # Phone and e-mail of the member of the public who objected, the verification code and the IP.
    "grants.Objection": (
        "email",
        "phone",
        "code_hash",
        "code_sent_at",
        "code_attempts",
        "ip_address",
    ),
    # Where and with which browser the agreement was accepted: the PDF hash is the proof kept.
    "grants.Agreement": ("accepted_ip", "accepted_user_agent"),
    "grants.Donation": ("donor_email",),
    # The public link of the feedback page (only the aggregates of the responses are exported).
    "grants.FeedbackChannel": ("token",),
    # Same as the officer's Excel export: the organisation's contact person and phone, no e-mail.
    "incubator.Organisation": ("contact_email",),
}
PERSONAL_DATA_NOTE = {
    "included": [
        "names of the people who acted (people.csv: id and display name only)",
        "reviewer identities in assignments, score sheets and the conflict register",
        "organisation contact person and phone (as in the officer's Excel export)",
        "names of volunteers named in reports, with their hours",
        "objectors' names and objections (not their contact details)",
        "donor names as the donor typed them (not e-mails)",
        "bank account numbers of the organisations' grant accounts (agreements, disbursements)",
    ],
    "excluded": [
        "password hashes, e-mail addresses, usernames and phone numbers of user accounts",
        "volunteer ID numbers (volunteer records are not part of a programme's data)",
        "donor e-mail addresses",
        "objectors' e-mail, phone, IP address and verification codes",
        "resident feedback responses (only per-project aggregates; no phone HMACs or tails)",
        "the IP address and browser with which an agreement was accepted",
        "application comments and in-app notifications",
    ],
}


@dataclass
class Dataset:
    name: str
    description: str
    queryset: models.QuerySet | None = None
    # Extra columns computed from a row (e.g. many-to-many ids); must not query per row.
    computed: Callable[[models.Model], dict] | None = None
    computed_columns: tuple[str, ...] = ()
    # For datasets that are not one row per model instance (aggregates).
    rows: Callable[[], Iterable[dict]] | None = None
    columns: list[str] | None = None


@dataclass
class ExportResult:
    path: Path
    rows: dict[str, int]
    files: int
    bytes: int
    missing_files: list[str] = field(default_factory=list)


# --- Scope ------------------------------------------------------------------------------------


def find_programme(identifier: str) -> gm.Programme:
    """The programme by id or exact name; ``LookupError`` with a readable reason otherwise."""
    identifier = identifier.strip()
    if identifier.isdigit():
        programme = gm.Programme.objects.filter(pk=int(identifier)).first()
        if programme is not None:
            return programme
    matches = list(gm.Programme.objects.filter(name=identifier)[:5])
    if len(matches) == 1:
        return matches[0]
    if matches:
        ids = ", ".join(str(p.pk) for p in matches)
        raise LookupError(f"Several programmes are named {identifier!r} (ids {ids}); give the id.")
    raise LookupError(f"No programme with the id or name {identifier!r}.")


def datasets(programme: gm.Programme, *, year: int | None = None) -> list[Dataset]:
    """Every dataset of the programme, in the order a reader needs them."""
    calls = gm.Call.objects.filter(programme=programme)
    if year is not None:
        calls = calls.filter(opens_at__year=year)
    call_ids = calls.values("pk")
    apps = gm.Application.objects.filter(call__in=call_ids)
    app_ids = apps.values("pk")
    pool_donations = gm.Donation.objects.filter(programme=programme)
    if year is None:
        ledger = gm.LedgerEntry.objects.filter(Q(programme=programme) | Q(application__in=app_ids))
    else:
        # Programme-level money (matching pool) has no call: the year is when it happened.
        ledger = gm.LedgerEntry.objects.filter(
            Q(call__in=call_ids)
            | Q(application__in=app_ids)
            | Q(
                programme=programme,
                call__isnull=True,
                application__isnull=True,
                occurred_at__year=year,
            )
        )
        pool_donations = pool_donations.filter(created_at__year=year)
    assignments = gm.ReviewAssignment.objects.filter(application__in=app_ids)
    sheets = gm.ScoreSheet.objects.filter(assignment__in=assignments.values("pk"))
    reports = gm.Report.objects.filter(application__in=app_ids)
    evaluations = gm.Evaluation.objects.filter(application__in=app_ids)
    expenses = gm.Expense.objects.filter(application__in=app_ids)
    sessions = gm.PitchSession.objects.filter(call__in=call_ids)
    templates = gm.EvaluationTemplate.objects.filter(call__in=call_ids)
    return [
        Dataset(
            "programme",
            "The programme (funder, budget, years); officer_ids name its officers.",
            gm.Programme.objects.filter(pk=programme.pk).prefetch_related("officers"),
            computed=lambda p: {"officer_ids": sorted(u.pk for u in p.officers.all())},
            computed_columns=("officer_ids",),
        ),
        Dataset("calls", "Calls for proposals with every per-call rule.", calls.order_by("pk")),
        Dataset(
            "rubric_criteria",
            "Scoring rubric of each call.",
            gm.RubricCriterion.objects.filter(call__in=call_ids).order_by("call", "position", "pk"),
        ),
        Dataset(
            "call_forms",
            "Versions of each call's extra questions.",
            gm.CallForm.objects.filter(call__in=call_ids).order_by("call", "version"),
        ),
        Dataset(
            "organisations",
            "Organisations that applied (name, credit code, type, rating, contact person).",
            Organisation.objects.filter(pk__in=apps.values("organisation")).order_by("pk"),
        ),
        Dataset(
            "applications",
            "Applications: every answer, amounts, eligibility results and the current state.",
            apps.order_by("pk").prefetch_related("partner_communities"),
            computed=lambda a: {
                "reference": a.reference,
                "partner_community_ids": sorted(c.pk for c in a.partner_communities.all()),
            },
            computed_columns=("reference", "partner_community_ids"),
        ),
        Dataset(
            "budget_lines",
            "Budget lines of each application (grant and matching funds).",
            gm.BudgetLine.objects.filter(application__in=app_ids).order_by(
                "application", "position", "pk"
            ),
        ),
        Dataset(
            "attachments",
            "Files attached to applications (file in files/attachments/).",
            gm.Attachment.objects.filter(application__in=app_ids).order_by("pk"),
        ),
        Dataset(
            "state_history",
            "Every state change (django-fsm-log) of applications, assignments, objections, "
            "disbursements, expenses, clawbacks, reports, evaluations and donations.",
            _state_history(
                {
                    gm.Application: app_ids,
                    gm.ReviewAssignment: assignments.values("pk"),
                    gm.Objection: gm.Objection.objects.filter(application__in=app_ids).values("pk"),
                    gm.Disbursement: gm.Disbursement.objects.filter(application__in=app_ids).values(
                        "pk"
                    ),
                    gm.Expense: expenses.values("pk"),
                    gm.Clawback: gm.Clawback.objects.filter(application__in=app_ids).values("pk"),
                    gm.Report: reports.values("pk"),
                    gm.Evaluation: evaluations.values("pk"),
                    gm.Donation: gm.Donation.objects.filter(
                        Q(application__in=app_ids) | Q(pk__in=pool_donations.values("pk"))
                    ).values("pk"),
                }
            ),
            computed=lambda log: {
                "model": f"{log.content_type.app_label}.{log.content_type.model}"
            },
            computed_columns=("model",),
        ),
        Dataset(
            "review_assignments",
            "Reviewers assigned to applications, per round.",
            assignments.order_by("pk"),
        ),
        Dataset(
            "score_sheets",
            "Score sheets (every version; is_current marks the one counted).",
            sheets.order_by("pk"),
        ),
        Dataset(
            "criterion_scores",
            "Each criterion's score on a sheet.",
            gm.CriterionScore.objects.filter(sheet__in=sheets.values("pk")).order_by("pk"),
        ),
        Dataset(
            "conflicts",
            "The conflict-of-interest register.",
            gm.ConflictRecord.objects.filter(application__in=app_ids).order_by("pk"),
        ),
        Dataset(
            "review_summaries",
            "Expert, public and final scores, rank and overrides.",
            gm.ReviewSummary.objects.filter(application__in=app_ids).order_by("pk"),
        ),
        Dataset(
            "pitch_sessions",
            "Live-pitch sessions (路演) and their judges.",
            sessions.order_by("pk").prefetch_related("judges"),
            computed=lambda s: {"judge_ids": sorted(u.pk for u in s.judges.all())},
            computed_columns=("judge_ids",),
        ),
        Dataset(
            "pitch_slots",
            "Each application's pitch and its tally.",
            gm.PitchSlot.objects.filter(application__in=app_ids).order_by("pk"),
        ),
        Dataset(
            "public_notices",
            "公示: the published results and their objection window.",
            gm.PublicNotice.objects.filter(call__in=call_ids).order_by("pk"),
        ),
        Dataset(
            "objections",
            "异议 lodged on the public notice, with the written answers.",
            gm.Objection.objects.filter(application__in=app_ids).order_by("pk"),
        ),
        Dataset(
            "agreements",
            "Grant agreements (PDF in files/agreements/).",
            gm.Agreement.objects.filter(application__in=app_ids).order_by("pk"),
        ),
        Dataset(
            "tranches",
            "Tranches of each agreement and their status.",
            gm.Tranche.objects.filter(application__in=app_ids).order_by("pk"),
        ),
        Dataset(
            "disbursements",
            "Payments of tranches (voucher scans in files/disbursements/).",
            gm.Disbursement.objects.filter(application__in=app_ids).order_by("pk"),
        ),
        Dataset(
            "ledger",
            "The money ledger: every movement, append-only; amounts are positive.",
            ledger.order_by("occurred_at", "pk"),
        ),
        Dataset("expenses", "Expenses reported against budget lines.", expenses.order_by("pk")),
        Dataset(
            "expense_receipts",
            "Receipts of expenses (files in files/expense_receipts/).",
            gm.ExpenseReceipt.objects.filter(expense__in=expenses.values("pk")).order_by("pk"),
        ),
        Dataset(
            "clawbacks",
            "追回: money the organisations must return.",
            gm.Clawback.objects.filter(application__in=app_ids).order_by("pk"),
        ),
        Dataset(
            "donations",
            "Donations to the programme's projects and matching pool.",
            gm.Donation.objects.filter(
                Q(application__in=app_ids) | Q(pk__in=pool_donations.values("pk"))
            ).order_by("pk"),
        ),
        Dataset(
            "milestones",
            "Reporting plan of each funded project.",
            gm.Milestone.objects.filter(application__in=app_ids).order_by("pk"),
        ),
        Dataset("reports", "Progress, mid-term and final reports.", reports.order_by("pk")),
        Dataset(
            "report_activities",
            "Activities listed in reports.",
            gm.ReportActivity.objects.filter(report__in=reports.values("pk")).order_by("pk"),
        ),
        Dataset(
            "report_volunteers",
            "Volunteers named in reports, with their hours.",
            gm.ReportVolunteer.objects.filter(report__in=reports.values("pk")).order_by("pk"),
        ),
        Dataset(
            "report_evidence",
            "Photos and sign-in sheets (files in files/report_evidence/).",
            gm.ReportEvidence.objects.filter(report__in=reports.values("pk")).order_by("pk"),
        ),
        Dataset(
            "evaluation_templates", "Each call's evaluation templates.", templates.order_by("pk")
        ),
        Dataset(
            "evaluation_dimensions",
            "Dimensions of the evaluation templates.",
            gm.EvaluationDimension.objects.filter(template__in=templates.values("pk")).order_by(
                "pk"
            ),
        ),
        Dataset(
            "evaluations",
            "Mid-term and final evaluations with their results.",
            evaluations.order_by("pk"),
        ),
        Dataset(
            "evaluation_scores",
            "Each dimension's score in an evaluation.",
            gm.EvaluationScore.objects.filter(evaluation__in=evaluations.values("pk")).order_by(
                "pk"
            ),
        ),
        Dataset(
            "evaluation_activities",
            "Desk reviews, phone checks and site visits.",
            gm.EvaluationActivity.objects.filter(evaluation__in=evaluations.values("pk")).order_by(
                "pk"
            ),
        ),
        Dataset(
            "feedback_channels",
            "Resident feedback pages (群众评议) of funded projects.",
            gm.FeedbackChannel.objects.filter(application__in=app_ids).order_by("pk"),
        ),
        Dataset(
            "feedback_summary",
            "Resident feedback per project: counted responses, satisfaction (1–5) and answers; "
            "individual responses and phone data are not exported.",
            rows=lambda: _feedback_summary(app_ids),
            columns=FEEDBACK_COLUMNS,
        ),
    ]


def _state_history(scopes: dict[type[models.Model], models.QuerySet]) -> models.QuerySet:
    condition = Q()
    for model, ids in scopes.items():
        content_type = ContentType.objects.get_for_model(model)
        condition |= Q(content_type=content_type, object_id__in=ids)
    return (
        StateLog.objects.filter(condition)
        .select_related("content_type")
        .order_by("timestamp", "pk")
    )


FEEDBACK_COLUMNS = [
    "application_id",
    "responses_counted",
    "responses_flagged",
    "responses_excluded",
    "satisfaction_mean",
    *[f"satisfaction_{n}" for n in range(1, 6)],
    "attended_yes",
    "attended_no",
    "timely_yes",
    "timely_no",
    "timely_not_applicable",
]


def _feedback_summary(app_ids) -> Iterator[dict]:
    counted = Q(state=gm.FeedbackState.COUNTED)
    rows = (
        gm.FeedbackResponse.objects.filter(application__in=app_ids)
        .values("application_id")
        .annotate(
            responses_counted=Count("pk", filter=counted),
            responses_flagged=Count("pk", filter=Q(state=gm.FeedbackState.FLAGGED)),
            responses_excluded=Count("pk", filter=Q(state=gm.FeedbackState.EXCLUDED)),
            satisfaction_mean=Avg("satisfaction", filter=counted),
            **{
                f"satisfaction_{n}": Count("pk", filter=counted & Q(satisfaction=n))
                for n in range(1, 6)
            },
            attended_yes=Count("pk", filter=counted & Q(attended="yes")),
            attended_no=Count("pk", filter=counted & Q(attended="no")),
            timely_yes=Count("pk", filter=counted & Q(timely="yes")),
            timely_no=Count("pk", filter=counted & Q(timely="no")),
            timely_not_applicable=Count("pk", filter=counted & Q(timely="na")),
        )
        .order_by("application_id")
    )
    for row in rows.iterator(chunk_size=CHUNK_SIZE):
        mean = row["satisfaction_mean"]
        row["satisfaction_mean"] = None if mean is None else f"{Decimal(mean):.2f}"
        yield row


# --- Writing ------------------------------------------------------------------------------------


def export_programme(
    programme: gm.Programme,
    *,
    output: Path,
    year: int | None = None,
    include_files: bool = True,
) -> ExportResult:
    """Write the programme's ZIP to ``output`` (via ``<output>.partial``, renamed when complete)."""
    output = Path(output)
    partial = output.with_name(output.name + ".partial")
    started = timezone.now()
    manifest: dict = {
        "format_version": FORMAT_VERSION,
        "generator": "Yichuang manage.py export_programme",
        "exported_at": started.isoformat(),
        "programme": {"id": programme.pk, "name": programme.name, "funder": programme.funder},
        "year": year,
        "include_files": include_files,
        "conventions": {
            "encoding": "UTF-8; CSV files start with a byte-order mark for Excel",
            "money": "decimal strings in yuan with two places (never floats)",
            "times": "ISO 8601 with offset (UTC as stored); dates YYYY-MM-DD",
            "ids": "database ids; *_id columns point at the id column of another dataset",
            "labels": "*_label columns give a coded value's label in the export's language",
            "csv_formula_guard": "CSV text starting with = + - @ is prefixed with a quote (')",
        },
        "reviewer_identity": (
            "included: reviewers are named (people dataset) for conflict-of-interest audits; "
            "handle this archive as confidential"
        ),
        "personal_data": PERSONAL_DATA_NOTE,
        "datasets": {},
        "files": {},
    }
    user_ids: set[int] = set()
    community_ids: set[int] = set()
    if programme.district_id:
        community_ids.add(programme.district_id)
    result = ExportResult(path=output, rows={}, files=0, bytes=0)
    try:
        with (
            transaction.atomic(),
            tempfile.TemporaryDirectory(prefix="export-programme-") as scratch,
        ):
            _one_snapshot()
            scratch_dir = Path(scratch)
            with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
                for dataset in datasets(programme, year=year):
                    _write_dataset(
                        archive,
                        scratch_dir,
                        dataset,
                        manifest=manifest,
                        result=result,
                        include_files=include_files,
                        user_ids=user_ids,
                        community_ids=community_ids,
                    )
                # People and places last: they are the ones the other datasets point at.
                community_ids |= _ancestors(community_ids)
                for dataset in _reference_datasets(user_ids, community_ids):
                    _write_dataset(
                        archive,
                        scratch_dir,
                        dataset,
                        manifest=manifest,
                        result=result,
                        include_files=False,
                        user_ids=set(),
                        community_ids=set(),
                    )
                manifest["ledger_totals"] = _ledger_totals(programme, year=year)
                manifest["missing_files"] = result.missing_files
                manifest["finished_at"] = timezone.now().isoformat()
                archive.writestr(
                    "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2, default=str)
                )
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, output)
    result.bytes = output.stat().st_size
    return result


def _one_snapshot() -> None:
    """On PostgreSQL, read every dataset from one snapshot, so that the manifest's counts and
    totals agree with the rows even while the site is in use (a no-op inside an outer transaction,
    e.g. in tests, where the isolation level can no longer change)."""
    if connection.vendor != "postgresql" or connection.savepoint_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


def _reference_datasets(user_ids: set[int], community_ids: set[int]) -> list[Dataset]:
    from django.contrib.auth import get_user_model

    User = get_user_model()
    return [
        Dataset(
            "people",
            "People named by the other datasets (*_by_id, reviewer_id, evaluator_id, …): id and "
            "display name only.",
            rows=lambda: (
                # Never the username (often a phone number) as a fallback.
                {"id": user.pk, "display_name": user.display_name or user.get_full_name()}
                for user in User.objects.filter(pk__in=sorted(user_ids))
                .order_by("pk")
                .only("pk", "display_name", "first_name", "last_name")
                .iterator(chunk_size=CHUNK_SIZE)
            ),
            columns=["id", "display_name"],
        ),
        Dataset(
            "communities",
            "Districts, subdistricts and communities named by the other datasets.",
            Community.objects.filter(pk__in=sorted(community_ids)).order_by("pk"),
        ),
    ]


def _ancestors(community_ids: set[int]) -> set[int]:
    """社区 → 街道 → 区: the parents of the communities named, so that a reader can place them."""
    found: set[int] = set()
    todo = set(community_ids)
    while todo:
        parents = set(
            Community.objects.filter(pk__in=sorted(todo), parent__isnull=False).values_list(
                "parent_id", flat=True
            )
        )
        todo = parents - found - community_ids
        found |= todo
    return found


def _ledger_totals(programme: gm.Programme, *, year: int | None) -> dict[str, str]:
    ledger = next(d for d in datasets(programme, year=year) if d.name == "ledger").queryset
    totals = ledger.order_by().values("kind").annotate(total=Sum("amount"))
    return {row["kind"]: f"{row['total']:.2f}" for row in totals}


def _write_dataset(
    archive: zipfile.ZipFile,
    scratch: Path,
    dataset: Dataset,
    *,
    manifest: dict,
    result: ExportResult,
    include_files: bool,
    user_ids: set[int],
    community_ids: set[int],
) -> None:
    if dataset.queryset is not None:
        model = dataset.queryset.model
        fields = _exported_fields(model)
        file_fields = [f for f in fields if isinstance(f, models.FileField)]
        columns = _columns(fields, dataset)
        user_model = settings.AUTH_USER_MODEL.lower()
        user_columns = [
            f.attname
            for f in fields
            if f.is_relation and f.related_model._meta.label_lower == user_model
        ]
        community_columns = [
            f.attname for f in fields if f.is_relation and f.related_model is Community
        ]
        rows = _model_rows(
            dataset,
            fields,
            file_fields,
            archive=archive,
            include_files=include_files,
            result=result,
            manifest=manifest,
        )
    else:
        columns = list(dataset.columns or [])
        user_columns = community_columns = []
        rows = dataset.rows()

    jsonl_path = scratch / f"{dataset.name}.jsonl"
    csv_path = scratch / f"{dataset.name}.csv"
    count = 0
    with (
        jsonl_path.open("w", encoding="utf-8", newline="\n") as jsonl,
        csv_path.open("w", encoding="utf-8-sig", newline="") as csv_file,
    ):
        writer = csv.writer(csv_file)
        writer.writerow(columns)
        for row in rows:
            for column in user_columns:
                if row.get(column) is not None:
                    user_ids.add(row[column])
            for column in community_columns:
                if row.get(column) is not None:
                    community_ids.add(row[column])
            for community_id in row.get("partner_community_ids") or ():
                community_ids.add(community_id)
            for key in ("officer_ids", "judge_ids"):
                user_ids.update(row.get(key) or ())
            jsonl.write(json.dumps(row, ensure_ascii=False, default=_json_default) + "\n")
            writer.writerow([_csv_value(row.get(column)) for column in columns])
            count += 1
    entry = {"description": dataset.description, "rows": count, "columns": columns, "files": {}}
    for path in (jsonl_path, csv_path):
        digest, size = _sha256_of(path)
        # Text compresses well; deflate it.
        archive.write(path, arcname=path.name, compress_type=zipfile.ZIP_DEFLATED)
        entry["files"][path.name] = {"rows": count, "bytes": size, "sha256": digest}
        manifest["files"][path.name] = {"rows": count, "bytes": size, "sha256": digest}
        path.unlink()
    manifest["datasets"][dataset.name] = entry
    result.rows[dataset.name] = count


def _exported_fields(model: type[models.Model]) -> list[models.Field]:
    excluded = PERSONAL_DATA_EXCLUDED.get(model._meta.label, ())
    return [f for f in model._meta.concrete_fields if f.name not in excluded]


def _columns(fields: list[models.Field], dataset: Dataset) -> list[str]:
    columns: list[str] = []
    for f in fields:
        columns.append(f.attname)
        if f.choices and not f.is_relation:
            columns.append(f"{f.attname}_label")
        if isinstance(f, models.FileField):
            columns.append(f"{f.attname}_zip_path")
    columns.extend(dataset.computed_columns)
    return columns


def _model_rows(
    dataset: Dataset,
    fields: list[models.Field],
    file_fields: list[models.FileField],
    *,
    archive: zipfile.ZipFile,
    include_files: bool,
    result: ExportResult,
    manifest: dict,
) -> Iterator[dict]:
    labels = {
        f.attname: {str(k): str(v) for k, v in f.flatchoices}
        for f in fields
        if f.choices and not f.is_relation
    }
    for obj in dataset.queryset.iterator(chunk_size=CHUNK_SIZE):
        row: dict = {}
        for f in fields:
            value = getattr(obj, f.attname)
            if isinstance(f, models.FileField):
                name = value.name if value else ""
                row[f.attname] = name
                row[f"{f.attname}_zip_path"] = (
                    _add_file(archive, dataset.name, obj, value, result=result, manifest=manifest)
                    if name and include_files
                    else ""
                )
                continue
            row[f.attname] = value
            if f.attname in labels:
                row[f"{f.attname}_label"] = labels[f.attname].get(str(value), "") if value else ""
        if dataset.computed is not None:
            row.update(dataset.computed(obj))
        yield row


def _add_file(archive, dataset_name: str, obj, fieldfile, *, result, manifest) -> str:
    """Copy one stored file into files/<dataset>/<id>/<name>; '' when the storage has lost it."""
    arcname = str(PurePosixPath("files", dataset_name, str(obj.pk), Path(fieldfile.name).name))
    digest = hashlib.sha256()
    size = 0
    try:
        source = fieldfile.storage.open(fieldfile.name, "rb")
    except (FileNotFoundError, OSError):
        result.missing_files.append(fieldfile.name)
        return ""
    info = zipfile.ZipInfo(arcname, date_time=timezone.localtime().timetuple()[:6])
    # Scans and photos are compressed already: store them as they are.
    info.compress_type = zipfile.ZIP_STORED
    with source, archive.open(info, "w", force_zip64=True) as target:
        while chunk := source.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
            target.write(chunk)
    manifest["files"][arcname] = {"bytes": size, "sha256": digest.hexdigest()}
    result.files += 1
    return arcname


def _sha256_of(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest(), path.stat().st_size


def _json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "hex") and not isinstance(value, bytes | str):  # UUID
        return str(value)
    return str(value)


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return csv_cell(json.dumps(value, ensure_ascii=False, default=_json_default))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return csv_cell(value)
