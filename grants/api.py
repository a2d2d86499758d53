from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.utils import timezone
from ninja import Router, Schema

from grants.selectors import open_calls

router = Router()


class CallOut(Schema):
    id: int
    slug: str
    title: str
    programme: str
    funder: str
    themes: list[str]
    budget: Decimal
    min_grant: Decimal
    max_grant: Decimal
    opens_at: datetime
    closes_at: datetime
    submission_deadline: datetime

    @staticmethod
    def resolve_programme(call) -> str:
        return call.programme.name

    @staticmethod
    def resolve_funder(call) -> str:
        return call.programme.funder


@router.get("/open", response=list[CallOut], auth=None, summary="Calls open for applications now")
def list_open_calls(request):
    return list(open_calls(now=timezone.now()))
