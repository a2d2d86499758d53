"""Demo data of the decision step: a call in 公示 with one objection open and one answered.

``seed_decisions(*, call, officer)`` takes a call whose applications are all recommended or not
recommended (the ranking demo leaves it so), publishes its 公示 through the service (recommended
projects go on the notice, the others are rejected), then adds two objections from residents:
one answered (dismissed, its answer published with the name masked) on the second-ranked project,
and one verified and open on the top-ranked project, which is therefore under objection review.

Idempotent: the notice is published once, and each objection is looked up by the notice and the
objector's name; a second run creates nothing and changes nothing.
"""

from __future__ import annotations

from django.db import transaction

from grants.enums import ApplicationState
from grants.models import Application, Call, Objection, PublicNotice
from grants.services import objections
from grants.services.applications import _lock_application
from grants.services.decisions import publish_public_notice

S = ApplicationState

NOTICE_BODY = (
    "经资格审查、专家评审和综合排名，拟对以下项目予以资助，现予以公示。公示期内，任何单位和个人"
    "如有异议，可在本页对具体项目提出，须留下真实姓名和联系方式；我们将在核实后作出书面答复。"
)
NOTICE_CONTACT = "崇川区民政局社会组织服务中心 0513-85012345"

ANSWERED = {
    "name": "陈秀英",
    "email": "chenxiuying@example.org",
    "body": "我是该社区居民，听说这个项目的志愿者大多是机构员工的家属，是否真的面向全体居民招募？",
    "answer": (
        "经核实，该机构志愿者通过社区公告栏和居民微信群公开招募，现有登记志愿者46名，其中机构员工"
        "家属3名。异议不成立。感谢您对公益创投的关注，欢迎报名参与志愿服务。"
    ),
}
OPEN = {
    "name": "李建国",
    "phone": "13962812345",
    "body": (
        "申报书写服务独居老人120名，但我们小区所在社区登记的独居老人不到80人，服务人数是否夸大？"
        "请核实后再确定资助金额。"
    ),
    "triage_note": "请社区核对独居老人台账，并请机构说明服务对象的统计口径。",
}


def _objection(notice: PublicNotice, application: Application, data: dict) -> Objection | None:
    """The objection of ``data["name"]`` on ``notice``, created and verified if it is missing."""
    existing = Objection.objects.filter(notice=notice, name=data["name"]).first()
    if existing is not None:
        return None
    with transaction.atomic():
        application = _lock_application(application)
        if application.state not in (S.PUBLIC_NOTICE, S.OBJECTION_REVIEW):
            return None
        row = Objection.objects.create(
            application=application,
            notice=notice,
            name=data["name"],
            email=data.get("email", ""),
            phone=data.get("phone", ""),
            body=data["body"],
            triage_note=data.get("triage_note", ""),
        )
        # The objector confirmed the code (the demo skips the message).
        objections._open(row, application)
    return row


def seed_decisions(*, call: Call, officer) -> PublicNotice:
    """Publish ``call``'s 公示 and add one answered and one open objection (see the module text)."""
    notice = publish_public_notice(
        call=call, actor=officer, body=NOTICE_BODY, contact=NOTICE_CONTACT
    )
    on_notice = list(
        Application.objects.filter(call=call, state__in=(S.PUBLIC_NOTICE, S.OBJECTION_REVIEW))
        .select_related("review_summary")
        .order_by("review_summary__rank", "pk")
    )
    if not on_notice:
        return notice
    top, second = on_notice[0], on_notice[1] if len(on_notice) > 1 else on_notice[0]
    answered = _objection(notice, second, ANSWERED)
    if answered is not None:
        objections.resolve_objection(
            objection=answered, actor=officer, outcome="dismiss", answer=ANSWERED["answer"]
        )
    _objection(notice, top, OPEN)
    return notice


__all__ = ["seed_decisions"]
