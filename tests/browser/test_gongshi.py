"""The 公示 on a phone: an anonymous visitor reads the results, objects, confirms with the e-mailed
code; the officer answers; the answer appears on the notice with the objector's name masked.

The test never reads the database while the browser works (with SQLite the live server and the
test share one connection): everything is set up before and checked after.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from grants.enums import ApplicationState, ObjectionState
from grants.models import Application, Objection
from tests.factories import PASSWORD, OrganisationFactory
from tests.grants.factories_decisions import closed_call, not_recommended, recommended

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _officer_tab(chromium, base):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    tab.goto(f"{base}{reverse('account_login')}")
    tab.fill("input[name=login]", "oscar")
    tab.fill("input[name=password]", PASSWORD)
    tab.locator("form:has(input[name=login]) [type=submit]").click()
    tab.wait_for_load_state()
    return context, tab


def test_a_visitor_objects_on_a_phone_and_reads_the_answer(
    live_server, page, screenshot, officer, chromium
):
    # given: a call whose applications are decided
    call = closed_call(title="2026年崇川区社区公益微创投", slug="chongchuan-2026")
    project = recommended(
        call,
        rank=1,
        score=92.4,
        title="银龄互助·社区长者食堂",
        organisation=OrganisationFactory(name="南通市崇川区夕阳红为老服务中心"),
    )
    recommended(call, rank=2, score=88.5, title="四点半课堂")
    not_recommended(call, rank=3, score=60, title="未入选的项目")
    base = live_server.url
    mail.outbox.clear()

    # when: the officer previews and publishes the 公示
    context, officer_page = _officer_tab(chromium, base)
    officer_page.goto(f"{base}{reverse('grants:decisions_notice', args=[call.pk])}")
    officer_page.get_by_text("未入选的项目").wait_for()
    officer_page.fill("input[name=contact]", "0513-12345678")
    officer_page.locator("input[name=confirm]").check()
    screenshot("00-officer-preview", officer_page)
    officer_page.locator("main form button[type=submit]").click()
    officer_page.locator(
        "table.objections, section[aria-labelledby=objections-heading]"
    ).first.wait_for()

    # when: the visitor opens the notice (from the index) and objects to the first project
    page.goto(f"{base}{reverse('grants:public_notice_index')}")
    page.get_by_role("link", name=re.compile("2026年崇川区社区公益微创投")).click()
    page.locator("[data-countdown-text]").filter(has_text=re.compile(r"\d")).wait_for()
    screenshot("01-notice")
    card = page.locator(f"#project-{project.pk}")
    card.locator("summary").click()
    card.locator("input[name$=-name]").fill("王小明")
    card.locator("input[name$=-contact]").fill("wxm@example.org")
    card.locator("textarea[name$=-body]").fill("该项目的服务人数与社区登记不符，请核实。")
    screenshot("02-objection-form")
    card.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/gongshi/objections/"))
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    page.locator("input[name=code]").fill(code)
    screenshot("03-code")
    page.locator("form.verify-form button[type=submit]").click()
    # The confirmation page: no code form any more, a way back to the notice.
    page.locator(f"main a.button[href$='/gongshi/{call.slug}/']").wait_for()
    assert page.locator("form.verify-form").count() == 0
    screenshot("04-received")

    # ... the officer answers it in the workspace
    officer_page.goto(f"{base}{reverse('grants:decisions_notice', args=[call.pk])}")
    screenshot("05-officer-objections", officer_page)
    officer_page.locator("table.objections a").first.click()
    officer_page.locator("input[name=outcome][value=dismiss]").check()
    officer_page.fill("textarea[name=answer]", "经社区实地核实，服务人数与登记一致，异议不成立。")
    screenshot("06-officer-answer", officer_page)
    officer_page.locator("form[action$='/resolve/'] button[type=submit]").click()
    officer_page.wait_for_url(re.compile(r"/public-notice/$"))
    context.close()

    # then: the answer is on the notice, the name masked
    page.goto(f"{base}{reverse('grants:public_notice', args=[call.slug])}")
    answer = page.locator(f"#project-{project.pk} .answers")
    answer.get_by_text("服务人数与登记一致，异议不成立。").wait_for()
    assert "王**" in answer.inner_text()
    assert "王小明" not in page.content()
    screenshot("07-answer-published")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    objection = Objection.objects.get()
    assert objection.state == ObjectionState.DISMISSED
    assert Application.objects.get(pk=project.pk).state == ApplicationState.PUBLIC_NOTICE
    assert mail.outbox[-1].to == ["wxm@example.org"]
