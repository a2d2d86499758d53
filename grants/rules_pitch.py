"""Who may run, judge and watch a 路演 (live pitch) session (django-rules).

Imported by ``grants.rules`` so the permissions exist wherever the others do. Officers run the
session (create it, choose judges, schedule, start each pitch); the session's judges score on the
judging screen; the room display (board) is for officers and judges. A judge with a conflict of
interest on an application never sees it: ``grants.view_pitch_slot`` says whether the viewer may see
one slot's application and its score.
"""

from __future__ import annotations

import rules

from grants.rules import is_officer, is_reviewer


@rules.predicate
def is_session_judge(user, session) -> bool:
    """One of the session's judges (uses the prefetched ``judges`` when the caller loaded them)."""
    if not (user and user.is_authenticated) or session is None:
        return False
    return any(judge.pk == user.pk for judge in session.judges.all())


@rules.predicate
def is_slot_judge(user, slot) -> bool:
    return slot is not None and is_session_judge(user, slot.session)


@rules.predicate
def has_no_conflict_on_slot(user, slot) -> bool:
    """Not in the conflict register for the slot's application and no conflict declared on it."""
    if not (user and user.is_authenticated) or slot is None:
        return False
    from grants.selectors_pitch import conflicted_application_ids

    return slot.application_id not in conflicted_application_ids(
        user=user, application_ids=[slot.application_id]
    )


judges_the_session = is_reviewer & is_session_judge

rules.add_perm("grants.manage_pitch", is_officer)
rules.add_perm("grants.judge_pitch", judges_the_session)
rules.add_perm("grants.view_pitch_board", is_officer | judges_the_session)
rules.add_perm(
    "grants.view_pitch_slot", is_officer | (is_reviewer & is_slot_judge & has_no_conflict_on_slot)
)
