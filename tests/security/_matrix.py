"""The permission matrix: who may open each route of the site. Read by test_permission_matrix.py.

Every route the URL resolver knows must have a line in ``MATRIX`` (the test names any that has
not), so a new route is classified by whoever adds it. A line names a policy: the roles allowed;
every other signed-in role is denied (403 or 404, and an empty POST changes nothing); anonymous
visitors are sent to the login page (401 from the API) unless the policy is ``PUBLIC``.

The roles (personas, resolved against the object in the URL — see _targets.py):

- ``anonymous``: not signed in.
- ``owner``: an applicant member of the organisation that owns the object (the application,
  agreement, report, vault document, volunteer activity…); for a personal object (a
  notification, an API token) its user.
- ``other_applicant``: an applicant member of another organisation, with no data of its own.
- ``reviewer``: the reviewer assigned to the application (the judge of the 路演 session).
- ``other_reviewer``: a reviewer assigned to nothing.
- ``officer``, ``finance``: programme officer and finance staff.
- ``evaluator``: the evaluator of the evaluation in the URL (else the demo evaluator).
- ``community``: the demo 社区 worker; ``social_worker``: a social worker of another organisation.
- ``volunteer``: the volunteer the object belongs to (else the demo volunteer).
- ``donor``: a donor with no donations here.
- ``superuser``: the platform administrator.
"""

from __future__ import annotations

from dataclasses import dataclass

ALLOW, DENY, LOGIN = "allow", "deny", "login"

ROLES = ("anonymous", "owner", "other_applicant", "reviewer", "other_reviewer", "officer",
         "finance", "evaluator", "community", "social_worker", "volunteer", "donor",
         "superuser")  # fmt: skip
SIGNED_IN_ROLES = ROLES[1:]


@dataclass(frozen=True)
class Policy:
    allowed: frozenset[str]
    anonymous: str = LOGIN  # what a visitor who is not signed in gets
    others: str = DENY  # what a signed-in role not in ``allowed`` gets

    def __add__(self, role: str) -> Policy:
        return Policy(self.allowed | {role}, self.anonymous, self.others)

    def expect(self, role: str) -> str:
        if role == "anonymous":
            return self.anonymous
        return ALLOW if role in self.allowed else self.others


def only(*roles: str) -> Policy:
    unknown = set(roles) - set(SIGNED_IN_ROLES)
    assert not unknown, f"no such role: {unknown}"
    return Policy(frozenset(roles))


PUBLIC = Policy(frozenset(SIGNED_IN_ROLES), anonymous=ALLOW)
SIGNED_IN = only(*SIGNED_IN_ROLES)
NOBODY = Policy(frozenset(), anonymous=DENY)  # answers 404 to everyone
PERSONAL = only("owner")  # the user's own object: not even the superuser
OWNER = only("owner", "superuser")
OFFICER = only("officer", "superuser")
FINANCE = only("finance", "superuser")
STAFF = only("officer", "finance", "superuser")
OWNER_OR_OFFICER = only("owner", "officer", "superuser")
OWNER_OR_STAFF = only("owner", "officer", "finance", "superuser")
# Anyone acting for an organisation may organise volunteering for it (their own activities).
ORGANISERS = only("owner", "other_applicant", "social_worker", "officer", "superuser")
APPLICANTS = only("owner", "other_applicant")  # needs a membership: not the superuser
REVIEWERS = only("reviewer", "other_reviewer", "superuser")
ASSIGNED_REVIEWER = only("reviewer")  # a reviewer's own assignment: officers use the workspace
JUDGE = only("reviewer", "superuser")
JUDGE_OR_OFFICER = only("reviewer", "officer", "superuser")
EVALUATORS = only("evaluator", "officer", "superuser")
ASSIGNED_EVALUATOR = only("evaluator", "superuser")
OWNER_OFFICER_OR_EVALUATOR = only("owner", "officer", "evaluator", "superuser")
# The Wagtail and Django admins: staff only; anyone else is sent to the admin's login page.
STAFF_ADMIN = Policy(frozenset({"officer", "finance", "superuser"}), others=LOGIN)

MATRIX: dict[str, Policy] = {
    # Wagtail pages, search, files and the site's plumbing
    "^((?:[\\w\\-]+/)*)$": PUBLIC,
    "_util/authenticate_with_password/<int:page_view_restriction_id>/<int:page_id>/": PUBLIC,
    "_util/login/": PUBLIC,
    "admin/": STAFF_ADMIN,
    "django-admin/": STAFF_ADMIN,
    "documents/^(\\d+)/(.*)$": PUBLIC,
    "documents/authenticate_with_password/<int:restriction_id>/": PUBLIC,
    "healthz/": PUBLIC,
    "i18n/setlang/": PUBLIC,
    "project-photos/<int:pk>/<slug:size>.jpg": PUBLIC,
    "robots.txt": PUBLIC,
    "search/": PUBLIC,
    "sitemap.xml": PUBLIC,
    # Signing in and accounts (allauth)
    "accounts/^confirm-email/(?P<key>[-:\\w]+)/$": PUBLIC,
    "accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": PUBLIC,
    "accounts/confirm-email/": PUBLIC,
    "accounts/email/": SIGNED_IN,
    "accounts/inactive/": PUBLIC,
    "accounts/login/": PUBLIC,
    "accounts/login/code/confirm/": SIGNED_IN,
    "accounts/logout/": PUBLIC,
    "accounts/password/change/": SIGNED_IN,
    "accounts/password/reset/": PUBLIC,
    "accounts/password/reset/done/": PUBLIC,
    "accounts/password/reset/key/done/": PUBLIC,
    "accounts/password/set/": SIGNED_IN,
    "accounts/reauthenticate/": SIGNED_IN,
    "accounts/signup/": PUBLIC,
    # The JSON API: 401 instead of the login page
    "api/v1/": NOBODY,
    "api/v1/applications/<int:application_id>": OWNER_OR_OFFICER,
    "api/v1/applications/<int:application_id>/transitions": OWNER_OR_OFFICER,
    "api/v1/applications/<int:application_id>/transitions/<code>": OWNER,
    "api/v1/applications/mine": SIGNED_IN,
    "api/v1/calls/open": PUBLIC,
    "api/v1/docs": PUBLIC,
    "api/v1/me": SIGNED_IN,
    "api/v1/open-data/": PUBLIC,
    "api/v1/open-data/<programme_id>/<year>": PUBLIC,
    "api/v1/openapi.json": PUBLIC,
    "api/v1/organisations/mine": SIGNED_IN,
    # The workspace /me/, organisations and their vault
    "me/": SIGNED_IN,
    "me/applications/": SIGNED_IN,
    "me/applications/<int:pk>/": OWNER_OR_OFFICER,
    "me/applications/<int:pk>/agreement.pdf": OWNER_OR_STAFF,
    "me/applications/<int:pk>/agreement/": OWNER,
    "me/applications/<int:pk>/autosave/": OWNER,
    "me/applications/<int:pk>/comment/": OWNER_OR_OFFICER,
    "me/applications/<int:pk>/decision-letter.pdf": OWNER_OR_OFFICER,
    "me/applications/<int:pk>/edit/": OWNER,
    "me/applications/<int:pk>/expenses/new/": OWNER,
    "me/applications/<int:pk>/feedback/poster.pdf": OWNER_OR_OFFICER,
    "me/applications/<int:pk>/statement.xlsx": OWNER_OR_OFFICER,
    "me/applications/<int:pk>/statement/": OWNER_OR_OFFICER,
    "me/applications/<int:pk>/withdraw/": OWNER,
    "me/inbox/": SIGNED_IN,
    "me/inbox/<int:pk>/open/": PERSONAL,
    "me/inbox/<int:pk>/read/": PERSONAL,
    "me/inbox/read-all/": SIGNED_IN,
    "me/milestones/<int:milestone_pk>/report/": OWNER,
    "me/organisations/": SIGNED_IN,
    "me/organisations/<int:pk>/": OWNER_OR_OFFICER,
    "me/organisations/<int:pk>/vault/": OWNER_OR_OFFICER,
    "me/organisations/<int:pk>/vault/accounts/": OWNER,
    "me/organisations/<int:pk>/vault/accounts/<int:account_pk>/delete/": OWNER,
    "me/organisations/<int:pk>/vault/accounts/<int:account_pk>/primary/": OWNER,
    "me/organisations/<int:pk>/vault/documents/": OWNER,
    "me/organisations/<int:pk>/vault/documents/<int:document_pk>/": OWNER_OR_OFFICER,
    "me/organisations/<int:pk>/vault/documents/<int:document_pk>/delete/": OWNER,
    "me/organisations/new/": SIGNED_IN,
    "me/preferences/": SIGNED_IN,
    "me/reports/<int:pk>/": OWNER,
    "me/reports/<int:pk>/autosave/": OWNER,
    "me/tokens/": SIGNED_IN,
    "me/tokens/<int:token_id>/revoke/": PERSONAL,
    # Applicant side of a call
    "calls/<str:slug>/apply/": SIGNED_IN,
    # Private files
    "files/attachments/<int:pk>/": OWNER_OR_OFFICER,
    "files/receipts/<int:pk>/": OWNER_OR_STAFF,
    "files/report-evidence/<int:pk>/": OWNER_OFFICER_OR_EVALUATOR,
    # Review (专家评审) and 路演
    "review/": REVIEWERS,
    "review/assignments/<int:pk>/": ASSIGNED_REVIEWER,
    "review/assignments/<int:pk>/attachments/<int:attachment_pk>/": ASSIGNED_REVIEWER,
    "review/assignments/<int:pk>/autosave/": ASSIGNED_REVIEWER,
    "review/assignments/<int:pk>/correction/": ASSIGNED_REVIEWER,
    "review/assignments/<int:pk>/declaration/": ASSIGNED_REVIEWER,
    "review/assignments/<int:pk>/decline/": ASSIGNED_REVIEWER,
    "review/assignments/<int:pk>/history/": ASSIGNED_REVIEWER,
    "review/pitch/<int:pk>/": JUDGE,
    "review/pitch/<int:pk>/board/": JUDGE_OR_OFFICER,
    "review/pitch/<int:pk>/board/live/": JUDGE_OR_OFFICER,
    "review/pitch/<int:pk>/live/": JUDGE,
    "review/pitch/<int:pk>/slots/<int:slot>/": JUDGE,
    "review/pitch/<int:pk>/slots/<int:slot>/declare/": ASSIGNED_REVIEWER,
    "review/pitch/<int:pk>/slots/<int:slot>/score/": ASSIGNED_REVIEWER,
    "review/profile/": REVIEWERS,
    "review/profile/relations/<int:pk>/delete/": ASSIGNED_REVIEWER,
    # Officer workspace
    "workspace/": OFFICER,
    "workspace/applications/<int:application_pk>/milestones/generate/": OFFICER,
    "workspace/applications/<int:pk>/": OFFICER,
    "workspace/applications/<int:pk>/actions/<slug:code>/": OFFICER,
    "workspace/applications/<int:pk>/agreement.pdf": OWNER_OR_STAFF,
    "workspace/applications/<int:pk>/agreement/": OFFICER,
    "workspace/applications/<int:pk>/clawbacks/": OFFICER,
    "workspace/applications/<int:pk>/comments/": OFFICER,
    "workspace/applications/<int:pk>/decision-letter.pdf": OWNER_OR_OFFICER,
    "workspace/applications/<int:pk>/evaluations/start/": OFFICER,
    "workspace/applications/<int:pk>/feedback/": OFFICER,
    "workspace/applications/<int:pk>/feedback/open/": OFFICER,
    "workspace/applications/<int:pk>/feedback/poster.pdf": OWNER_OR_OFFICER,
    "workspace/applications/<int:pk>/feedback/responses/<int:response_pk>/exclude/": OFFICER,
    "workspace/applications/<int:pk>/feedback/responses/<int:response_pk>/reinstate/": OFFICER,
    "workspace/applications/<int:pk>/feedback/settings/": OFFICER,
    "workspace/applications/<int:pk>/reviewers/add/": OFFICER,
    "workspace/assignments/<int:pk>/remove/": OFFICER,
    "workspace/calls/<int:pk>/applications/": OFFICER,
    "workspace/calls/<int:pk>/applications/export.xlsx": OFFICER,
    "workspace/calls/<int:pk>/conduct/": OFFICER,
    "workspace/calls/<int:pk>/conflicts/": OFFICER,
    "workspace/calls/<int:pk>/conflicts/detect/": OFFICER,
    "workspace/calls/<int:pk>/decide/": OFFICER,
    "workspace/calls/<int:pk>/evaluation-templates/<slug:kind>/": OFFICER,
    "workspace/calls/<int:pk>/pitch/": OFFICER,
    "workspace/calls/<int:pk>/public-notice/": OFFICER,
    "workspace/calls/<int:pk>/public-notice/approve/": OFFICER,
    "workspace/calls/<int:pk>/public-notice/objections/<int:objection_pk>/": OFFICER,
    "workspace/calls/<int:pk>/public-notice/objections/<int:objection_pk>/resolve/": OFFICER,
    "workspace/calls/<int:pk>/ranking/": OFFICER,
    "workspace/calls/<int:pk>/ranking/adjust/": OFFICER,
    "workspace/calls/<int:pk>/ranking/method/": OFFICER,
    "workspace/calls/<int:pk>/ranking/override/": OFFICER,
    "workspace/calls/<int:pk>/ranking/recommend/": OFFICER,
    "workspace/calls/<int:pk>/ranking/scores.xlsx": OFFICER,
    "workspace/calls/<int:pk>/reviewers/": OFFICER,
    "workspace/calls/<int:pk>/reviewers/draw/": OFFICER,
    "workspace/clawbacks/<int:pk>/repaid/": FINANCE,
    "workspace/disbursements/": STAFF,
    "workspace/disbursements/<int:pk>/": STAFF,
    "workspace/disbursements/<int:pk>/<str:action>/": OFFICER,
    "workspace/disbursements/<int:pk>/voucher/": STAFF,
    "workspace/donations/": STAFF,
    "workspace/donations/<int:pk>/refund/": OFFICER,
    "workspace/evaluations/<int:pk>/cancel/": OFFICER,
    "workspace/evaluations/<int:pk>/clawback/": OFFICER,
    "workspace/expenses/<int:pk>/<slug:outcome>/": OFFICER,
    "workspace/funding/": STAFF,
    "workspace/funding/export.xlsx": STAFF,
    "workspace/funding/projects/<int:pk>/statement.xlsx": STAFF,
    "workspace/funding/projects/<int:pk>/statement/": STAFF,
    "workspace/funding/reconciliation/": STAFF,
    "workspace/impact/calls/<int:pk>/": STAFF,
    "workspace/impact/programmes/<int:pk>/": STAFF,
    "workspace/impact/programmes/<int:pk>/annual-report.pdf": STAFF,
    "workspace/impact/programmes/<int:pk>/annual-report.xlsx": STAFF,
    "workspace/milestones/<int:pk>/": OFFICER,
    "workspace/pitch/<int:pk>/": OFFICER,
    "workspace/pitch/<int:pk>/schedule/": OFFICER,
    "workspace/pitch/<int:pk>/slots/<int:slot>/move/": OFFICER,
    "workspace/pitch/<int:pk>/slots/<int:slot>/start/": OFFICER,
    "workspace/reports/": OFFICER,
    "workspace/reports/<int:pk>/": OFFICER,
    "workspace/reviewers/": OFFICER,
    "workspace/reviewers/<int:user_pk>/": OFFICER,
    "workspace/reviewers/<int:user_pk>/relations/<int:pk>/delete/": OFFICER,
    "workspace/tranches/<int:pk>/disburse/": STAFF,
    # Evaluation
    "evaluate/": EVALUATORS,
    "evaluate/<int:pk>/": EVALUATORS,
    "evaluate/<int:pk>/activities/": ASSIGNED_EVALUATOR,
    "evaluate/<int:pk>/activities/<int:activity_pk>/delete/": ASSIGNED_EVALUATOR,
    "evaluate/<int:pk>/attachments/<int:attachment_pk>/": EVALUATORS,
    "evaluate/<int:pk>/autosave/": ASSIGNED_EVALUATOR,
    "evaluate/reports/<int:pk>/": OWNER_OFFICER_OR_EVALUATOR,
    # Public 公示, 群众评议 and donations
    "donations/<uuid:public_id>/pay/": PUBLIC,
    "donations/<uuid:public_id>/thanks/": PUBLIC,
    "gongshi/": PUBLIC,
    "gongshi/<str:slug>/": PUBLIC,
    "gongshi/<str:slug>/projects/<int:pk>/objection/": PUBLIC,
    "gongshi/<str:slug>/results/": PUBLIC,
    "gongshi/objections/<str:token>/": PUBLIC,
    "gongshi/objections/<str:token>/resend/": PUBLIC,
    "pingyi/<str:token>/": PUBLIC,
    "pingyi/<str:token>/confirm/<str:ref>/": PUBLIC,
    "pingyi/<str:token>/confirm/<str:ref>/resend/": PUBLIC,
    "programmes/<int:pk>/donate/": PUBLIC,
    "projects/<int:pk>/donate/": PUBLIC,
    "stripe/webhook/": PUBLIC,
    # Incubation
    "incubation/": PUBLIC,
    "incubation/applications/<int:pk>/": OWNER_OR_OFFICER,
    "incubation/applications/<int:pk>/actions/<str:code>/": OFFICER,
    "incubation/applications/<int:pk>/agreement/": OFFICER,
    "incubation/applications/<int:pk>/assessments/": OFFICER,
    "incubation/applications/<int:pk>/financial-system/": OFFICER,
    "incubation/applications/<int:pk>/follow-ups/<int:follow_up_pk>/": OFFICER,
    "incubation/applications/<int:pk>/handback/": OFFICER,
    "incubation/applications/<int:pk>/mentoring/": OFFICER,
    "incubation/applications/<int:pk>/service-plan/": OFFICER,
    "incubation/courses/": OFFICER,
    "incubation/courses/<int:pk>/": OFFICER,
    "incubation/intakes/<int:intake_pk>/apply/": APPLICANTS,
    "incubation/sessions/<int:pk>/attendance/": OFFICER,
    "incubation/workspace/": OFFICER,
    # Volunteering
    "volunteering/": PUBLIC,
    "volunteering/activities/<int:pk>/": PUBLIC,
    "volunteering/activities/<int:pk>/cancel/": SIGNED_IN,
    "volunteering/activities/<int:pk>/hours/": SIGNED_IN,
    "volunteering/activities/<int:pk>/signup/": SIGNED_IN,
    "volunteering/certificates/<int:volunteer_pk>/<int:organisation_pk>.pdf": (
        OWNER_OR_OFFICER + "volunteer"
    ),
    "volunteering/checkin/<str:token>/": SIGNED_IN,
    "volunteering/manage/": ORGANISERS,
    "volunteering/manage/activities/<int:pk>/": OWNER_OR_OFFICER,
    "volunteering/manage/activities/<int:pk>/edit/": OWNER_OR_OFFICER,
    "volunteering/manage/activities/<int:pk>/publish/": OWNER_OR_OFFICER,
    "volunteering/manage/activities/<int:pk>/qr.svg": OWNER_OR_OFFICER,
    "volunteering/manage/activities/<int:pk>/roster/<int:signup_pk>/hours/": OWNER_OR_OFFICER,
    "volunteering/manage/activities/<int:pk>/roster/add/": OWNER_OR_OFFICER,
    "volunteering/manage/activities/new/": ORGANISERS,
    "volunteering/manage/export.csv": ORGANISERS,
    "volunteering/manage/hours/": ORGANISERS,
    "volunteering/manage/hours/<int:pk>/approve/": OWNER_OR_OFFICER,
    "volunteering/manage/hours/<int:pk>/reject/": OWNER_OR_OFFICER,
    "volunteering/manage/redemptions/<int:pk>/fulfil/": OFFICER,
    "volunteering/manage/rewards/": OFFICER,
    "volunteering/manage/rewards/<int:pk>/edit/": OFFICER,
    "volunteering/manage/teams/": ORGANISERS,
    "volunteering/manage/volunteers/new/": ORGANISERS,
    "volunteering/me/": SIGNED_IN,
    "volunteering/me/edit/": SIGNED_IN,
    "volunteering/redemptions/<int:pk>/cancel/": OFFICER,
    "volunteering/register/": SIGNED_IN,
    "volunteering/rewards/": PUBLIC,
    "volunteering/rewards/<int:pk>/redeem/": SIGNED_IN,
    # Community (三事分流, 五社联动)
    "community/": PUBLIC,
    "community/applications/<int:pk>/partners/": OWNER_OR_OFFICER,
    "community/organisations/<int:pk>/social-workers/": OWNER_OR_OFFICER,
    "community/organisations/<int:pk>/social-workers/new/": OWNER_OR_OFFICER,
    "community/pledges/<int:pk>/<str:action>/": OFFICER,
    "community/proposals/": PUBLIC,
    "community/proposals/<int:pk>/": PUBLIC,
    "community/proposals/<int:pk>/application-draft/": OFFICER,
    "community/proposals/<int:pk>/classify/": OFFICER,
    "community/proposals/<int:pk>/close-voting/": OFFICER,
    "community/proposals/<int:pk>/micro-call/": OFFICER,
    "community/proposals/<int:pk>/open-voting/": OFFICER,
    "community/proposals/<int:pk>/vote/": SIGNED_IN,
    "community/proposals/manage/": OFFICER + "community",
    "community/proposals/new/": SIGNED_IN,
    "community/resources/": OFFICER,
    "community/social-workers/": OFFICER,
    "community/social-workers/<int:pk>/edit/": OWNER_OR_OFFICER,
    "community/wushe/": PUBLIC,
}


# A route open to every signed-in role renders the same page for all: it is requested as a few of
# them only, which halves the run (a full page costs ten times a refusal).
OPEN_ROUTE_ROLES = ("anonymous", "owner", "volunteer", "officer", "superuser")


def roles_for(route: str) -> tuple[str, ...]:
    """The roles the route is requested as: all of them, unless it is open to everyone."""
    policy = MATRIX.get(route)
    if policy is not None and policy.allowed == PUBLIC.allowed:
        return OPEN_ROUTE_ROLES
    return ROLES


def expected(route: str, role: str) -> str | None:
    """allow, deny or login; None when the route is not in the table."""
    policy = MATRIX.get(route)
    return policy.expect(role) if policy else None
