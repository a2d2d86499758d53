"""Demo resident feedback (群众评议) on the funded projects of ``grants.demo_projects``.

Every funded project of the demo call (agreement signed to final evaluation, and the completed one)
gets its feedback page; four of them get residents' responses over the past weeks, mostly warm,
a few lukewarm or critical, and on the 楼道长 project one comment copied word for word from another
number within an hour: flagged for the officer, not counted. The rows are written directly as if
the residents had typed their codes (no SMS in a demo); numbers are stored hashed like real ones.

Idempotent: a channel is found by its application, a response by its channel and number.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from grants.demo import FUNDED_CALL_SLUG
from grants.models import Application
from grants.models.feedback import FeedbackChannel, FeedbackResponse, FeedbackState
from grants.services import feedback as svc

F = FeedbackState
CHANNEL_STATES = ("contracted", "active", "mid_term", "final_evaluation", "completed")

# (stars, attended, timely, comment, household, days ago, hours later, state)
# fmt: off
RESPONSES: dict[str, list[tuple]] = {
    "书香濠南·亲子共读与长者读报": [
        (5, "yes", "yes", "每周六带孩子去社区书屋共读，孩子现在天天吵着要看书。", "濠南新村5栋201", 40, 0, F.COUNTED),
        (5, "yes", "yes", "读报的志愿者很有耐心，老伴眼睛不好，每天就盼着这一个小时。", "濠南新村8栋102", 38, 0, F.COUNTED),
        (4, "yes", "yes", "活动很好，希望绘本能再多一些，低龄的书少了点。", "濠南新村3栋402", 33, 0, F.COUNTED),
        (5, "yes", "", "亲子共读让我们家长之间也认识了，邻里关系好多了。", "", 30, 0, F.COUNTED),
        (3, "no", "na", "听说有这个活动，但工作日上午的时间我们上班族参加不了。", "濠南新村11栋601", 21, 0, F.COUNTED),
        (5, "yes", "yes", "志愿者每周都来看望我母亲，给她读报讲新闻，很贴心。", "濠南新村2栋301", 14, 0, F.COUNTED),
        (4, "yes", "yes", "", "", 9, 0, F.COUNTED),
        (5, "yes", "yes", "书屋环境好，孩子的阅读习惯养成了。", "濠南新村6栋502", 4, 0, F.COUNTED),
    ],
    "困境家庭儿童“微心愿”圆梦行动": [
        (5, "yes", "yes", "孩子收到了一直想要的台灯和字典，写作业终于不用趴在床上了，谢谢你们。", "八仙城小区16栋", 120, 0, F.COUNTED),
        (5, "yes", "yes", "社工每月都来家里陪孩子做功课，比我们做家长的还上心。", "八仙城小区3栋", 115, 0, F.COUNTED),
        (4, "yes", "yes", "心愿实现得很及时，就是发放那天人有点多，排了挺久的队。", "八仙城小区9栋", 110, 0, F.COUNTED),
        (5, "yes", "yes", "爱心企业的叔叔阿姨还带孩子去了科技馆，孩子回来讲了一晚上。", "", 104, 0, F.COUNTED),
        (2, "no", "no", "我们家报了心愿，但一直没人联系，不知道是什么原因。", "八仙城小区21栋", 100, 0, F.COUNTED),
        (5, "yes", "yes", "很温暖的项目，希望明年还能继续。", "八仙城小区5栋", 96, 0, F.COUNTED),
    ],
    "残障人士社区融合与辅助就业": [
        (5, "yes", "yes", "儿子参加康复训练后在超市找到了理货的工作，全家都很感激。", "朝晖新村4栋", 60, 0, F.COUNTED),
        (4, "yes", "yes", "融合集市办得热闹，居民都来买孩子们做的手工皂。", "朝晖新村12栋", 45, 0, F.COUNTED),
        (3, "yes", "no", "训练内容不错，但每周两次时间太固定，我们接送有困难。", "朝晖新村7栋", 31, 0, F.COUNTED),
        (5, "", "", "以前总觉得残障朋友离我们很远，集市上一起摆摊才发现大家都一样。", "", 20, 0, F.COUNTED),
        (4, "yes", "yes", "辅助就业对接很用心，就是岗位还不够多。", "朝晖新村2栋", 11, 0, F.COUNTED),
        (2, "no", "na", "我们小区离活动点太远，轮椅过去不方便，希望能上门服务。", "朝晖新村19栋", 6, 0, F.COUNTED),
    ],
    "“邻里+”楼道长守望探访计划": [
        (5, "yes", "yes", "楼道长每周都来敲门问候，我一个人住也安心多了。", "钟楼小区3栋2单元", 50, 0, F.COUNTED),
        (5, "yes", "yes", "志愿者每周都来看望我母亲，很贴心，上次她血压高还是楼道长发现的。", "钟楼小区7栋1单元", 42, 0, F.COUNTED),
        (4, "yes", "yes", "一楼一档做得细，就是有的楼道长年纪也大了，需要年轻人加入。", "钟楼小区1栋", 36, 0, F.COUNTED),
        (5, "yes", "yes", "停水的时候楼道长挨家挨户通知，还帮老人提水上楼。", "和平新村5栋", 28, 0, F.COUNTED),
        (3, "no", "na", "知道有这个项目，但我们楼还没有楼道长。", "和平新村12栋", 19, 0, F.COUNTED),
        (5, "yes", "yes", "楼道长守望探访计划非常好，为社区老人办了实事，点赞！", "钟楼小区9栋", 3, 0, F.COUNTED),
        # The same text from another number an hour later: flagged, not counted.
        (5, "", "", "楼道长守望探访计划非常好，为社区老人办了实事，点赞！", "", 3, 1, F.FLAGGED),
        (4, "yes", "yes", "邻里节很热闹，好多邻居第一次说上话。", "和平新村2栋", 1, 0, F.COUNTED),
    ],
}
# fmt: on


def _phone(project_index: int, row: int) -> str:
    # Made-up numbers in one series; real ones never reach the demo.
    return f"1390513{project_index:02d}{row:02d}"


def _response(channel, project_index: int, row: int, spec: tuple, now) -> bool:
    stars, attended, timely, comment, household, days_ago, hours, state = spec
    phone = _phone(project_index, row)
    digest = svc.phone_hash(channel.pk, phone)
    if FeedbackResponse.objects.filter(channel=channel, phone_hash=digest).exists():
        return False
    when = now - timedelta(days=days_ago) + timedelta(hours=hours)
    FeedbackResponse.objects.create(
        channel=channel,
        application=channel.application,
        satisfaction=stars,
        attended=attended,
        timely=timely,
        comment=comment,
        household=household,
        household_key=svc.household_key(household),
        phone_hash=digest,
        phone_tail=phone[-4:],
        comment_fingerprint=svc.comment_fingerprint(comment),
        state=state,
        flag_reason="同一条评论在24小时内已由其他号码提交" if state == F.FLAGGED else "",
        verified_at=when,
        created_at=when - timedelta(minutes=2),
    )
    return True


def seed(*, stdout) -> None:
    officer = User.objects.filter(username="officer").first()
    projects = list(
        Application.objects.filter(call__slug=FUNDED_CALL_SLUG, state__in=CHANNEL_STATES)
        .select_related("feedback_channel")
        .order_by("pk")
    )
    if not projects:
        stdout.write("  群众评议 resident feedback: skipped (no funded demo projects)")
        return
    now = timezone.now()
    channels = responses = 0
    titles = list(RESPONSES)
    for application in projects:
        with transaction.atomic():
            channel, created = FeedbackChannel.objects.get_or_create(
                application=application,
                defaults={
                    "created_by": officer,
                    "created_at": now - timedelta(days=70),
                    # Completed: the page stays, closed, for the record.
                    "is_open": application.state != "completed",
                },
            )
            channels += created
            if application.title in RESPONSES:
                index = titles.index(application.title)
                for row, spec in enumerate(RESPONSES[application.title]):
                    responses += _response(channel, index, row, spec, now)
    stdout.write(f"  群众评议 resident feedback: {channels} pages, {responses} responses created")
