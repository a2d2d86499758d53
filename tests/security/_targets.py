"""Realistic URL arguments for every route of the permission matrix, taken from the full demo.

``TARGETS`` maps a route (as the resolver spells it) to a function of the seeded ``World`` that
returns a ``Target``: the URL arguments, and the people the URL concerns — the organisation that
owns the object, the reviewer assigned to it, its evaluator, its volunteer. The personas of the
matrix are resolved against those people, so "the applicant of the owning organisation" is a
member of the organisation that owns *this* application, agreement or vault document.

A route without arguments needs no entry here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.db.models import Model
from django.utils import timezone

from grants import models as g
from grants.enums import ApplicationState as S
from grants.enums import AssignmentState as A
from incubator import models as inc


@dataclass
class Target:
    kwargs: dict[str, Any] = field(default_factory=dict)
    args: tuple = ()
    organisation: Any = None  # the organisation whose members own the object
    application: Any = None  # the grant application the object belongs to
    reviewer: Any = None  # the reviewer (or pitch judge) assigned to it
    evaluator: Any = None
    volunteer: Any = None  # the volunteer's user
    owner: Any = None  # a user who owns the object personally (a notification's recipient)


def first(model: type[Model], /, **lookups) -> Any:
    obj = model.objects.filter(**lookups).order_by("pk").first()
    if obj is None:
        raise LookupError(f"the demo has no {model.__name__} with {lookups}")
    return obj


def _assigned(application) -> Any:
    assignment = (
        g.ReviewAssignment.objects.filter(
            application=application, state__in=(A.ACCEPTED, A.SUBMITTED)
        )
        .order_by("pk")
        .first()
    )
    return assignment.reviewer if assignment else None


def for_application(application, **kwargs) -> Target:
    return Target(
        kwargs=kwargs,
        organisation=application.organisation,
        application=application,
        reviewer=_assigned(application),
    )


class World:
    """The demo objects the routes point at, looked up once."""

    def __init__(self):
        self.call = first(g.Call, applications__state=S.SUBMITTED)
        self.draft = first(g.Application, state=S.DRAFT)
        self.submitted = first(g.Application, state=S.SUBMITTED, call__isnull=False)
        self.in_review = first(
            g.Application,
            state=S.IN_REVIEW,
            assignments__state=A.ACCEPTED,
        )
        self.assignment = first(g.ReviewAssignment, application=self.in_review, state=A.ACCEPTED)
        self.funded = first(g.Application, agreement__isnull=False, tranches__isnull=False)
        self.programme = self.funded.call.programme
        self.today = timezone.localdate()
        self._extras()

    def _extras(self) -> None:
        """What the demo does not have: an API token, Wagtail password restrictions, a document."""
        from wagtail.documents import get_document_model
        from wagtail.models import (
            APIToken,
            Collection,
            CollectionViewRestriction,
            Page,
            PageViewRestriction,
        )

        from accounts.models import User

        ngo = User.objects.get(username="ngo1")
        self.token, _plain = APIToken.create_token(user=ngo, name="matrix")
        page = Page.objects.filter(depth__gt=2).order_by("pk").first()
        self.page_restriction = PageViewRestriction.objects.create(
            page=page, restriction_type=PageViewRestriction.PASSWORD, password="matrix"
        )
        private = Collection.get_first_root_node().add_child(name="matrix-private")
        self.document_restriction = CollectionViewRestriction.objects.create(
            collection=private, restriction_type=CollectionViewRestriction.PASSWORD, password="m"
        )
        # Private files the demo does not upload: an attachment of the application under review
        # (its reviewer may open it) and of the evaluated one, a vault document, a bank account.
        evaluated = first(g.Evaluation).application
        for application in (self.in_review, evaluated):
            attachment = g.Attachment(
                application=application,
                kind="plan",
                original_name="plan.pdf",
                content_type="application/pdf",
                size=9,
                sha256="0" * 64,
                uploaded_by=application.created_by,
            )
            attachment.file.save("matrix-plan.pdf", ContentFile(b"%PDF-1.4\n"), save=False)
            attachment.save()
        organisation = self.funded.organisation
        document = inc.VaultDocument(
            organisation=organisation,
            kind=inc.VaultDocument._meta.get_field("kind").choices[0][0],
            title="matrix",
            year=2026,
            original_name="licence.pdf",
            content_type="application/pdf",
            size=9,
            sha256="0" * 64,
            uploaded_by=ngo,
        )
        document.file.save("matrix-licence.pdf", ContentFile(b"%PDF-1.4\n"), save=False)
        document.save()
        inc.BankAccount.objects.create(
            organisation=organisation,
            account_name=organisation.name,
            bank_name="中国银行",
            account_number="6217000000000000001",
            created_by=ngo,
        )
        if not g.Objection.objects.filter(state="unverified").exists():
            notice = first(g.PublicNotice)
            g.Objection.objects.create(
                application=notice.call.applications.order_by("pk").first(),
                notice=notice,
                name="矩阵",
                email="matrix@example.org",
                body="矩阵异议",
            )
        document_model = get_document_model()
        if not document_model.objects.exists():
            document = document_model(title="matrix")
            document.file.save("matrix.txt", ContentFile(b"public document"), save=False)
            document.save()

    # helpers used by TARGETS
    def app(self, application, **extra) -> Target:
        return for_application(application, pk=application.pk, **extra)


def _notice_call():
    return first(g.Call, public_notice__isnull=False)


def _objection():
    return first(g.Objection)


def _tranche():
    return first(g.Tranche)


def _disbursement():
    return first(g.Disbursement)


def _expense():
    return first(g.Expense)


def _evaluation():
    return first(g.Evaluation)


def _report():
    return first(g.Report)


def _pitch():
    return first(g.PitchSlot).session


def _slot(session):
    return first(g.PitchSlot, session=session)


def _judge(session):
    return session.judges.order_by("pk").first()


def _incubation():
    return first(inc.IncubationApplication)


def _activity():
    return first(inc.VolunteerActivity)


def _t_pitch(w, *, slot=False) -> Target:
    session = _pitch()
    kwargs = {"pk": session.pk}
    application = None
    if slot:
        the_slot = _slot(session)
        kwargs["slot"] = the_slot.pk
        application = the_slot.application
    return Target(
        kwargs=kwargs,
        application=application,
        organisation=application.organisation if application else None,
        reviewer=_judge(session),
    )


def _t_incubation(w, **extra) -> Target:
    application = _incubation()
    return Target(kwargs={"pk": application.pk, **extra}, organisation=application.organisation)


def _t_org(w, **extra) -> Target:
    org = w.funded.organisation
    return Target(kwargs={"pk": org.pk, **extra}, organisation=org)


def _t_vault_doc(w) -> Target:
    doc = first(inc.VaultDocument)
    return Target(
        kwargs={"pk": doc.organisation_id, "document_pk": doc.pk}, organisation=doc.organisation
    )


def _t_vault_account(w) -> Target:
    account = first(inc.BankAccount)
    return Target(
        kwargs={"pk": account.organisation_id, "account_pk": account.pk},
        organisation=account.organisation,
    )


def _t_volunteer_activity(w, **extra) -> Target:
    activity = _activity()
    return Target(kwargs={"pk": activity.pk, **extra}, organisation=activity.organisation)


def _t_signup_hours(w) -> Target:
    signup = first(inc.VolunteerSignup)
    return Target(
        kwargs={"pk": signup.activity_id, "signup_pk": signup.pk},
        organisation=signup.activity.organisation,
        volunteer=signup.volunteer.user,
    )


def _t_hours(w) -> Target:
    record = first(inc.HoursRecord, state="pending")
    return Target(
        kwargs={"pk": record.pk},
        organisation=record.activity.organisation if record.activity_id else None,
        volunteer=record.volunteer.user,
    )


def _t_redemption(w) -> Target:
    redemption = first(inc.Redemption)
    return Target(kwargs={"pk": redemption.pk}, volunteer=redemption.volunteer.user)


def _t_certificate(w) -> Target:
    record = first(inc.HoursRecord, state="approved", volunteer__user__isnull=False)
    return Target(
        kwargs={
            "volunteer_pk": record.volunteer_id,
            "organisation_pk": record.activity.organisation_id,
        },
        organisation=record.activity.organisation,
        volunteer=record.volunteer.user,
    )


def _t_proposal(w) -> Target:
    return Target(kwargs={"pk": first(inc.ResidentProposal).pk})


def _t_evaluation(w, **extra) -> Target:
    evaluation = _evaluation()
    target = for_application(evaluation.application, pk=evaluation.pk, **extra)
    target.evaluator = evaluation.evaluator
    return target


def _t_eval_activity(w) -> Target:
    activity = first(g.EvaluationActivity)
    target = for_application(
        activity.evaluation.application, pk=activity.evaluation_id, activity_pk=activity.pk
    )
    target.evaluator = activity.evaluation.evaluator
    return target


def _t_eval_attachment(w) -> Target:
    evaluation = first(g.Evaluation, application__attachments__isnull=False)
    attachment = first(g.Attachment, application=evaluation.application)
    target = for_application(evaluation.application, pk=evaluation.pk, attachment_pk=attachment.pk)
    target.evaluator = evaluation.evaluator
    return target


def _t_report(w, **extra) -> Target:
    report = _report()
    return for_application(report.application, pk=report.pk, **extra)


def _t_milestone(w, name="pk") -> Target:
    milestone = first(g.Milestone, report__isnull=True)
    return for_application(milestone.application, **{name: milestone.pk})


def _t_feedback_response(w) -> Target:
    response = first(g.FeedbackResponse)
    return w.app(response.application, response_pk=response.pk)


def _t_feedback_confirm(w) -> Target:
    from grants.services.feedback import response_token

    response = first(g.FeedbackResponse)
    return Target(kwargs={"token": response.channel.token, "ref": response_token(response)})


def _t_call_objection(w, **extra) -> Target:
    objection = _objection()
    return for_application(
        objection.application, pk=objection.notice.call_id, objection_pk=objection.pk, **extra
    )


def _t_objection_token(w) -> Target:
    from grants.services.objections import objection_token

    return Target(kwargs={"token": objection_token(first(g.Objection, state="unverified"))})


def _t_relation(w) -> Target:
    relation = first(g.ReviewerRelation)
    return Target(kwargs={"pk": relation.pk}, reviewer=relation.profile.user)


def _t_pool_relation(w) -> Target:
    relation = first(g.ReviewerRelation)
    return Target(
        kwargs={"user_pk": relation.profile.user_id, "pk": relation.pk},
        reviewer=relation.profile.user,
    )


def _t_assignment(w, **extra) -> Target:
    assignment = w.assignment
    target = for_application(assignment.application, pk=assignment.pk, **extra)
    target.reviewer = assignment.reviewer
    return target


def _t_review_attachment(w) -> Target:
    assignment = w.assignment
    attachment = first(g.Attachment, application=assignment.application)
    target = for_application(assignment.application, pk=assignment.pk, attachment_pk=attachment.pk)
    target.reviewer = assignment.reviewer
    return target


def _t_photo(w) -> Target:
    from cms.selectors_projects import _public_evidence

    return Target(kwargs={"pk": _public_evidence().order_by("pk").first().pk, "size": "small"})


def _t_voucher(w) -> Target:
    disbursement = g.Disbursement.objects.exclude(voucher_scan="").order_by("pk").first()
    if disbursement is None:
        disbursement = _disbursement()
        disbursement.voucher_scan.save("matrix-voucher.pdf", ContentFile(b"%PDF-1.4\n"))
    return for_application(disbursement.application, pk=disbursement.pk)


def _t_notification(w) -> Target:
    # one an applicant received, so that no staff persona is its recipient by chance
    notification = first(
        g.Notification, application__isnull=False, recipient__memberships__role="applicant"
    )
    # the recipient is the one who may open it: the matrix treats them as the owner
    return Target(kwargs={"pk": notification.pk}, owner=notification.recipient)


def _t_donation(w) -> Target:
    return Target(kwargs={"public_id": first(g.Donation).public_id})


def _t_doc(w) -> Target:
    from wagtail.documents import get_document_model

    document = get_document_model().objects.order_by("pk").first()
    return Target(args=(document.pk, document.filename))


TARGETS = {
    "documents/^(\\d+)/(.*)$": _t_doc,
    "api/v1/applications/<int:application_id>": lambda w: for_application(
        w.submitted, application_id=w.submitted.pk
    ),
    "api/v1/applications/<int:application_id>/transitions": lambda w: for_application(
        w.submitted, application_id=w.submitted.pk
    ),
    "api/v1/applications/<int:application_id>/transitions/<code>": lambda w: for_application(
        w.draft, application_id=w.draft.pk, code="submit"
    ),
    "api/v1/open-data/<programme_id>/<year>": lambda w: Target(
        kwargs={"programme_id": w.programme.pk, "year": w.funded.call.opens_at.year}
    ),
    # Organisations and their vault
    "me/organisations/<int:pk>/": _t_org,
    "me/organisations/<int:pk>/vault/": _t_org,
    "me/organisations/<int:pk>/vault/documents/": _t_org,
    "me/organisations/<int:pk>/vault/documents/<int:document_pk>/": _t_vault_doc,
    "me/organisations/<int:pk>/vault/documents/<int:document_pk>/delete/": _t_vault_doc,
    "me/organisations/<int:pk>/vault/accounts/": _t_org,
    "me/organisations/<int:pk>/vault/accounts/<int:account_pk>/primary/": _t_vault_account,
    "me/organisations/<int:pk>/vault/accounts/<int:account_pk>/delete/": _t_vault_account,
    # Incubation
    "incubation/intakes/<int:intake_pk>/apply/": lambda w: Target(
        kwargs={"intake_pk": first(inc.Intake, opens_on__lte=w.today, closes_on__gte=w.today).pk}
    ),
    "incubation/applications/<int:pk>/": _t_incubation,
    "incubation/applications/<int:pk>/actions/<str:code>/": lambda w: _t_incubation(
        w, code="admit"
    ),
    "incubation/applications/<int:pk>/agreement/": _t_incubation,
    "incubation/applications/<int:pk>/service-plan/": _t_incubation,
    "incubation/applications/<int:pk>/financial-system/": _t_incubation,
    "incubation/applications/<int:pk>/handback/": _t_incubation,
    "incubation/applications/<int:pk>/mentoring/": _t_incubation,
    "incubation/applications/<int:pk>/follow-ups/<int:follow_up_pk>/": lambda w: (
        lambda f: Target(
            kwargs={"pk": f.session.application_id, "follow_up_pk": f.pk},
            organisation=f.session.application.organisation,
        )
    )(first(inc.FollowUp)),
    "incubation/applications/<int:pk>/assessments/": _t_incubation,
    "incubation/courses/<int:pk>/": lambda w: Target(kwargs={"pk": first(inc.TrainingCourse).pk}),
    "incubation/sessions/<int:pk>/attendance/": lambda w: Target(
        kwargs={"pk": first(inc.TrainingSession).pk}
    ),
    # Volunteering
    "volunteering/activities/<int:pk>/": _t_volunteer_activity,
    "volunteering/activities/<int:pk>/signup/": _t_volunteer_activity,
    "volunteering/activities/<int:pk>/cancel/": _t_volunteer_activity,
    "volunteering/activities/<int:pk>/hours/": _t_volunteer_activity,
    "volunteering/checkin/<str:token>/": lambda w: Target(
        kwargs={"token": _activity().checkin_token}
    ),
    "volunteering/rewards/<int:pk>/redeem/": lambda w: Target(
        kwargs={"pk": first(inc.RewardItem).pk}
    ),
    "volunteering/redemptions/<int:pk>/cancel/": _t_redemption,
    "volunteering/certificates/<int:volunteer_pk>/<int:organisation_pk>.pdf": _t_certificate,
    "volunteering/manage/activities/<int:pk>/": _t_volunteer_activity,
    "volunteering/manage/activities/<int:pk>/edit/": _t_volunteer_activity,
    "volunteering/manage/activities/<int:pk>/publish/": _t_volunteer_activity,
    "volunteering/manage/activities/<int:pk>/qr.svg": _t_volunteer_activity,
    "volunteering/manage/activities/<int:pk>/roster/add/": _t_volunteer_activity,
    "volunteering/manage/activities/<int:pk>/roster/<int:signup_pk>/hours/": _t_signup_hours,
    "volunteering/manage/hours/<int:pk>/approve/": _t_hours,
    "volunteering/manage/hours/<int:pk>/reject/": _t_hours,
    "volunteering/manage/rewards/<int:pk>/edit/": lambda w: Target(
        kwargs={"pk": first(inc.RewardItem).pk}
    ),
    "volunteering/manage/redemptions/<int:pk>/fulfil/": _t_redemption,
    # Community
    "community/proposals/<int:pk>/": _t_proposal,
    "community/proposals/<int:pk>/vote/": _t_proposal,
    "community/proposals/<int:pk>/classify/": _t_proposal,
    "community/proposals/<int:pk>/open-voting/": _t_proposal,
    "community/proposals/<int:pk>/close-voting/": _t_proposal,
    "community/proposals/<int:pk>/micro-call/": _t_proposal,
    "community/proposals/<int:pk>/application-draft/": _t_proposal,
    "community/applications/<int:pk>/partners/": lambda w: w.app(w.funded),
    "community/social-workers/<int:pk>/edit/": lambda w: (
        lambda s: Target(kwargs={"pk": s.pk}, organisation=s.organisation)
    )(first(inc.SocialWorker)),
    "community/organisations/<int:pk>/social-workers/": _t_org,
    "community/organisations/<int:pk>/social-workers/new/": _t_org,
    "community/pledges/<int:pk>/<str:action>/": lambda w: Target(
        kwargs={"pk": first(inc.MatchingPledge).pk, "action": "activate"}
    ),
    # Accounts
    "me/tokens/<int:token_id>/revoke/": lambda w: Target(
        kwargs={"token_id": w.token.pk}, owner=w.token.user
    ),
    # CMS
    "project-photos/<int:pk>/<slug:size>.jpg": _t_photo,
    # Applicant side
    "calls/<str:slug>/apply/": lambda w: Target(kwargs={"slug": w.submitted.call.slug}),
    "me/applications/<int:pk>/": lambda w: w.app(w.submitted),
    "me/applications/<int:pk>/edit/": lambda w: w.app(w.draft),
    "me/applications/<int:pk>/autosave/": lambda w: w.app(w.draft),
    "me/applications/<int:pk>/comment/": lambda w: w.app(w.submitted),
    "me/applications/<int:pk>/withdraw/": lambda w: w.app(w.submitted),
    "me/inbox/<int:pk>/open/": _t_notification,
    "me/inbox/<int:pk>/read/": _t_notification,
    # Officer workspace
    "workspace/calls/<int:pk>/applications/": lambda w: Target(kwargs={"pk": w.call.pk}),
    "workspace/calls/<int:pk>/applications/export.xlsx": lambda w: Target(kwargs={"pk": w.call.pk}),
    "workspace/applications/<int:pk>/": lambda w: w.app(w.submitted),
    "workspace/applications/<int:pk>/actions/<slug:code>/": lambda w: w.app(
        w.submitted, code="start_screening"
    ),
    "workspace/applications/<int:pk>/comments/": lambda w: w.app(w.submitted),
    "files/attachments/<int:pk>/": lambda w: (lambda a: for_application(a.application, pk=a.pk))(
        first(g.Attachment)
    ),
    # Review
    "review/profile/relations/<int:pk>/delete/": _t_relation,
    "review/assignments/<int:pk>/": _t_assignment,
    "review/assignments/<int:pk>/declaration/": _t_assignment,
    "review/assignments/<int:pk>/decline/": _t_assignment,
    "review/assignments/<int:pk>/autosave/": _t_assignment,
    "review/assignments/<int:pk>/correction/": _t_assignment,
    "review/assignments/<int:pk>/history/": _t_assignment,
    "review/assignments/<int:pk>/attachments/<int:attachment_pk>/": _t_review_attachment,
    "workspace/reviewers/<int:user_pk>/": lambda w: Target(
        kwargs={"user_pk": w.assignment.reviewer_id}, reviewer=w.assignment.reviewer
    ),
    "workspace/reviewers/<int:user_pk>/relations/<int:pk>/delete/": _t_pool_relation,
    "workspace/calls/<int:pk>/reviewers/": lambda w: Target(kwargs={"pk": w.call.pk}),
    "workspace/calls/<int:pk>/reviewers/draw/": lambda w: Target(kwargs={"pk": w.call.pk}),
    "workspace/applications/<int:pk>/reviewers/add/": lambda w: w.app(w.in_review),
    "workspace/assignments/<int:pk>/remove/": _t_assignment,
    "workspace/calls/<int:pk>/conflicts/": lambda w: Target(kwargs={"pk": w.call.pk}),
    "workspace/calls/<int:pk>/conflicts/detect/": lambda w: Target(kwargs={"pk": w.call.pk}),
    "workspace/calls/<int:pk>/conduct/": lambda w: Target(kwargs={"pk": w.call.pk}),
    # Ranking
    **{
        route: (lambda w: Target(kwargs={"pk": w.in_review.call_id}))
        for route in (
            "workspace/calls/<int:pk>/ranking/",
            "workspace/calls/<int:pk>/ranking/recommend/",
            "workspace/calls/<int:pk>/ranking/method/",
            "workspace/calls/<int:pk>/ranking/override/",
            "workspace/calls/<int:pk>/ranking/adjust/",
            "workspace/calls/<int:pk>/ranking/scores.xlsx",
            "workspace/calls/<int:pk>/pitch/",
        )
    },
    # 路演
    "workspace/pitch/<int:pk>/": _t_pitch,
    "workspace/pitch/<int:pk>/schedule/": _t_pitch,
    "workspace/pitch/<int:pk>/slots/<int:slot>/move/": lambda w: _t_pitch(w, slot=True),
    "workspace/pitch/<int:pk>/slots/<int:slot>/start/": lambda w: _t_pitch(w, slot=True),
    "review/pitch/<int:pk>/": _t_pitch,
    "review/pitch/<int:pk>/live/": _t_pitch,
    "review/pitch/<int:pk>/slots/<int:slot>/": lambda w: _t_pitch(w, slot=True),
    "review/pitch/<int:pk>/slots/<int:slot>/declare/": lambda w: _t_pitch(w, slot=True),
    "review/pitch/<int:pk>/slots/<int:slot>/score/": lambda w: _t_pitch(w, slot=True),
    "review/pitch/<int:pk>/board/": _t_pitch,
    "review/pitch/<int:pk>/board/live/": _t_pitch,
    # 公示
    "gongshi/objections/<str:token>/": _t_objection_token,
    "gongshi/objections/<str:token>/resend/": _t_objection_token,
    "gongshi/<str:slug>/": lambda w: Target(kwargs={"slug": _notice_call().slug}),
    "gongshi/<str:slug>/results/": lambda w: Target(kwargs={"slug": _notice_call().slug}),
    "gongshi/<str:slug>/projects/<int:pk>/objection/": lambda w: (
        lambda o: Target(kwargs={"slug": o.notice.call.slug, "pk": o.application_id})
    )(_objection()),
    "workspace/calls/<int:pk>/public-notice/": lambda w: Target(kwargs={"pk": _notice_call().pk}),
    "workspace/calls/<int:pk>/public-notice/approve/": lambda w: Target(
        kwargs={"pk": _notice_call().pk}
    ),
    "workspace/calls/<int:pk>/decide/": lambda w: Target(kwargs={"pk": _notice_call().pk}),
    "workspace/calls/<int:pk>/public-notice/objections/<int:objection_pk>/": _t_call_objection,
    "workspace/calls/<int:pk>/public-notice/objections/<int:objection_pk>/resolve/": (
        _t_call_objection
    ),
    "me/applications/<int:pk>/decision-letter.pdf": lambda w: w.app(w.funded),
    "workspace/applications/<int:pk>/decision-letter.pdf": lambda w: w.app(w.funded),
    # Funding
    "workspace/applications/<int:pk>/agreement/": lambda w: w.app(w.funded),
    "workspace/applications/<int:pk>/agreement.pdf": lambda w: w.app(w.funded),
    "me/applications/<int:pk>/agreement/": lambda w: w.app(w.funded),
    "me/applications/<int:pk>/agreement.pdf": lambda w: w.app(w.funded),
    "workspace/tranches/<int:pk>/disburse/": lambda w: (
        lambda t: for_application(t.application, pk=t.pk)
    )(_tranche()),
    "workspace/disbursements/<int:pk>/": lambda w: (
        lambda d: for_application(d.application, pk=d.pk)
    )(_disbursement()),
    "workspace/disbursements/<int:pk>/voucher/": _t_voucher,
    "workspace/disbursements/<int:pk>/<str:action>/": lambda w: (
        lambda d: for_application(d.application, pk=d.pk, action="approve")
    )(_disbursement()),
    # Donations
    "projects/<int:pk>/donate/": lambda w: w.app(w.funded),
    "programmes/<int:pk>/donate/": lambda w: Target(kwargs={"pk": w.programme.pk}),
    "donations/<uuid:public_id>/pay/": _t_donation,
    "donations/<uuid:public_id>/thanks/": _t_donation,
    "workspace/donations/<int:pk>/refund/": lambda w: Target(
        kwargs={"pk": first(g.Donation, status="succeeded").pk}
    ),
    # Finance
    "me/applications/<int:pk>/expenses/new/": lambda w: w.app(w.funded),
    "me/applications/<int:pk>/statement/": lambda w: w.app(w.funded),
    "me/applications/<int:pk>/statement.xlsx": lambda w: w.app(w.funded),
    "files/receipts/<int:pk>/": lambda w: (
        lambda r: for_application(r.expense.application, pk=r.pk)
    )(first(g.ExpenseReceipt)),
    "workspace/expenses/<int:pk>/<slug:outcome>/": lambda w: (
        lambda e: for_application(e.application, pk=e.pk, outcome="approve")
    )(_expense()),
    "workspace/applications/<int:pk>/clawbacks/": lambda w: w.app(w.funded),
    "workspace/clawbacks/<int:pk>/repaid/": lambda w: (
        lambda c: for_application(c.application, pk=c.pk)
    )(first(g.Clawback)),
    "workspace/funding/projects/<int:pk>/statement/": lambda w: w.app(w.funded),
    "workspace/funding/projects/<int:pk>/statement.xlsx": lambda w: w.app(w.funded),
    # Reports
    "me/milestones/<int:milestone_pk>/report/": lambda w: _t_milestone(w, "milestone_pk"),
    "me/reports/<int:pk>/": _t_report,
    "me/reports/<int:pk>/autosave/": _t_report,
    "workspace/reports/<int:pk>/": _t_report,
    "workspace/applications/<int:application_pk>/milestones/generate/": lambda w: for_application(
        w.funded, application_pk=w.funded.pk
    ),
    "workspace/milestones/<int:pk>/": _t_milestone,
    "evaluate/reports/<int:pk>/": _t_report,
    "files/report-evidence/<int:pk>/": lambda w: (
        lambda e: for_application(e.report.application, pk=e.pk)
    )(first(g.ReportEvidence)),
    # Evaluations
    "evaluate/<int:pk>/": _t_evaluation,
    "evaluate/<int:pk>/autosave/": _t_evaluation,
    "evaluate/<int:pk>/activities/": _t_evaluation,
    "evaluate/<int:pk>/activities/<int:activity_pk>/delete/": _t_eval_activity,
    "evaluate/<int:pk>/attachments/<int:attachment_pk>/": _t_eval_attachment,
    "workspace/applications/<int:pk>/evaluations/start/": lambda w: w.app(w.funded),
    "workspace/evaluations/<int:pk>/cancel/": _t_evaluation,
    "workspace/calls/<int:pk>/evaluation-templates/<slug:kind>/": lambda w: Target(
        kwargs={"pk": w.funded.call_id, "kind": "mid_term"}
    ),
    "workspace/evaluations/<int:pk>/clawback/": _t_evaluation,
    # 群众评议
    "pingyi/<str:token>/": lambda w: Target(kwargs={"token": first(g.FeedbackChannel).token}),
    "pingyi/<str:token>/confirm/<str:ref>/": _t_feedback_confirm,
    "pingyi/<str:token>/confirm/<str:ref>/resend/": _t_feedback_confirm,
    "workspace/applications/<int:pk>/feedback/": lambda w: w.app(
        first(g.FeedbackChannel).application
    ),
    "workspace/applications/<int:pk>/feedback/open/": lambda w: w.app(w.funded),
    "workspace/applications/<int:pk>/feedback/settings/": lambda w: w.app(
        first(g.FeedbackChannel).application
    ),
    "workspace/applications/<int:pk>/feedback/responses/<int:response_pk>/exclude/": (
        _t_feedback_response
    ),
    "workspace/applications/<int:pk>/feedback/responses/<int:response_pk>/reinstate/": (
        _t_feedback_response
    ),
    "workspace/applications/<int:pk>/feedback/poster.pdf": lambda w: w.app(
        first(g.FeedbackChannel).application
    ),
    "me/applications/<int:pk>/feedback/poster.pdf": lambda w: w.app(
        first(g.FeedbackChannel).application
    ),
    # Impact
    "workspace/impact/calls/<int:pk>/": lambda w: Target(kwargs={"pk": w.funded.call_id}),
    "workspace/impact/programmes/<int:pk>/": lambda w: Target(kwargs={"pk": w.programme.pk}),
    "workspace/impact/programmes/<int:pk>/annual-report.xlsx": lambda w: Target(
        kwargs={"pk": w.programme.pk}
    ),
    "workspace/impact/programmes/<int:pk>/annual-report.pdf": lambda w: Target(
        kwargs={"pk": w.programme.pk}
    ),
    # Wagtail's own password forms
    "documents/authenticate_with_password/<int:restriction_id>/": lambda w: Target(
        kwargs={"restriction_id": w.document_restriction.pk}
    ),
    "_util/authenticate_with_password/<int:page_view_restriction_id>/<int:page_id>/": (
        lambda w: Target(
            kwargs={
                "page_view_restriction_id": w.page_restriction.pk,
                "page_id": w.page_restriction.page_id,
            }
        )
    ),
    "accounts/^confirm-email/(?P<key>[-:\\w]+)/$": lambda w: Target(kwargs={"key": "not-a-key"}),
    "accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": lambda w: Target(
        kwargs={"uidb36": "1", "key": "not-a-key"}
    ),
    "^((?:[\\w\\-]+/)*)$": lambda w: Target(args=("",)),
}
