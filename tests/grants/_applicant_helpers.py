"""Shared helpers of the applicant-side tests: a complete POST of the application form."""

from __future__ import annotations

SECTIONS = ("activities", "indicators", "team", "budget")


def form_post(**overrides) -> dict:
    """The application form as a browser posts it, complete enough to submit; override any field."""
    data = {
        "title": "邻里守望·独居老人探访",
        "summary": "组织志愿者每周探访社区独居老人。",
        "need": "社区独居老人120名，缺少日常照看。",
        "objectives": "每位老人每周至少被探访一次。",
        "beneficiaries": "社区独居老人",
        "beneficiaries_count": "120",
        "activities-0-name": "志愿者培训",
        "activities-0-start": "2026-03-01",
        "activities-0-end": "2026-03-15",
        "activities-0-description": "探访技巧与安全",
        "indicators-0-name": "探访人次",
        "indicators-0-kind": "output",
        "indicators-0-target": "2400",
        "indicators-0-unit": "人次",
        "team-0-name": "李社工",
        "team-0-role": "social_worker",
        "team-0-qualification": "社会工作师",
        "budget-0-category": "activity",
        "budget-0-description": "探访活动物资",
        "budget-0-amount": "16000",
        "budget-0-matching_amount": "0",
        "budget-1-category": "personnel",
        "budget-1-description": "社工补贴",
        "budget-1-amount": "4000",
        "budget-1-matching_amount": "0",
    }
    counts = {"activities": 1, "indicators": 1, "team": 1, "budget": 2}
    for prefix in SECTIONS:
        data[f"{prefix}-TOTAL_FORMS"] = str(counts[prefix])
        data[f"{prefix}-INITIAL_FORMS"] = "0"
        data[f"{prefix}-MIN_NUM_FORMS"] = "0"
        data[f"{prefix}-MAX_NUM_FORMS"] = "200"
    data.update(dict(overrides.items()))
    return {key: value for key, value in data.items() if value is not None}
