"""The grant agreement (资助协议) as a PDF, in Chinese.

Parties, the grant in figures and in capital numerals (大写, as on Chinese bank and contract forms),
the budget lines, the tranche schedule with its conditions and amounts, the reporting duties, the
dedicated account and the signature block. Rendered with WeasyPrint and the Noto CJK fonts, like
the decision letters (``grants/letters.py``).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from grants.models import Agreement

AGREEMENT_LANGUAGE = "zh-hans"
CENT = Decimal("0.01")
DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ("", "拾", "佰", "仟")
BIG_UNITS = ("", "万", "亿", "万亿")


def _integer_upper(number: int) -> str:
    """壹万零伍 for 10005: four-digit groups, one 零 for each run of zeros between digits."""
    if number == 0:
        return DIGITS[0]
    groups = []
    while number:
        groups.append(number % 10000)
        number //= 10000
    text = ""
    pending_zero = False
    for index in reversed(range(len(groups))):
        group = groups[index]
        if group == 0:
            pending_zero = bool(text)
            continue
        if text and (pending_zero or group < 1000):
            text += DIGITS[0]
        part = ""
        zero = False
        for position in (3, 2, 1, 0):
            digit = group // 10**position % 10
            if digit == 0:
                zero = bool(part)
                continue
            if zero:
                part += DIGITS[0]
                zero = False
            part += DIGITS[digit] + SMALL_UNITS[position]
        text += part + BIG_UNITS[index]
        # 壹佰万零壹仟: zeros at the end of a group still stand between it and the next digit.
        pending_zero = group % 10 == 0
    return text


def rmb_upper(amount) -> str:
    """人民币叁万伍仟元整: an amount of yuan in capital numerals, the way banks require it written."""
    value = Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)
    if value < 0:
        raise ValueError("negative amounts have no capital form here")
    if value >= Decimal("1e16"):
        raise ValueError("amount too large")
    fen_total = int(value * 100)
    yuan, rest = divmod(fen_total, 100)
    jiao, fen = divmod(rest, 10)
    text = "人民币"
    if yuan:
        text += _integer_upper(yuan) + "元"
    if not jiao and not fen:
        return text + ("整" if yuan else "零元整")
    if jiao:
        text += DIGITS[jiao] + "角"
    elif yuan:
        text += DIGITS[0]  # 壹万元零伍分
    if fen:
        text += DIGITS[fen] + "分"
    else:
        text += "整"
    return text


def agreement_context(agreement: Agreement) -> dict:
    application = agreement.application
    call = application.call
    tranches = tranche_rows(agreement)
    return {
        "agreement": agreement,
        "application": application,
        "call": call,
        "programme": call.programme,
        "organisation": application.organisation,
        "budget_lines": list(application.budget_lines.all()),
        "tranches": tranches,
        "award_upper": rmb_upper(agreement.award_amount),
        "LANGUAGE_CODE": AGREEMENT_LANGUAGE,
    }


def tranche_rows(agreement: Agreement) -> list[dict]:
    """The tranches as they will be created on acceptance (or as they were, once accepted)."""
    existing = list(agreement.tranches.order_by("number")) if agreement.pk else []
    if existing:
        return [
            {
                "number": t.number,
                "percent": t.percent,
                "amount": t.amount,
                "condition": t.get_condition_display(),
            }
            for t in existing
        ]
    from grants.enums import TrancheCondition

    labels = dict(TrancheCondition.choices)
    return [
        {
            "number": number,
            "percent": row["percent"],
            "amount": amount,
            "condition": labels.get(row["condition"], row["condition"]),
        }
        for number, (row, amount) in enumerate(
            zip(
                agreement.application.call.tranche_schedule,
                split_award(agreement.award_amount, agreement.application.call.tranche_schedule),
                strict=True,
            ),
            start=1,
        )
    ]


def split_award(award: Decimal, schedule: list[dict]) -> list[Decimal]:
    """Each tranche's share rounded to the fen; the last takes the remainder, so the sum is exact."""
    award = Decimal(award)
    amounts = []
    remaining = award
    for number, row in enumerate(schedule, start=1):
        if number == len(schedule):
            amount = remaining
        else:
            amount = (award * Decimal(row["percent"]) / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        remaining -= amount
        amounts.append(amount)
    return amounts


def render_agreement_html(agreement: Agreement) -> str:
    with translation.override(AGREEMENT_LANGUAGE):
        return render_to_string("grants/funding/agreement_pdf.html", agreement_context(agreement))


def render_agreement_pdf(agreement: Agreement) -> bytes:
    # Imported here: WeasyPrint loads Pango and fonts, which only the PDF needs.
    from weasyprint import CSS, HTML

    stylesheet = CSS(string=render_to_string("grants/funding/agreement_pdf.css"))
    return HTML(string=render_agreement_html(agreement), base_url=str(settings.BASE_DIR)).write_pdf(
        stylesheets=[stylesheet]
    )
