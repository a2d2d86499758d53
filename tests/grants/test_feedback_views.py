"""Resident feedback (群众评议) pages: the public form and code, the officer's page, the panels, the poster."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.enums import Role
from grants.enums import ApplicationState
from grants.models.feedback import FeedbackChannel, FeedbackMode, FeedbackResponse, FeedbackState
from grants.services.objections import LoggingSmsBackend
from tests.factories import MembershipFactory, UserFactory
from tests.grants.factories_feedback import channel_for, funded_project, verified_response

pytestmark = pytest.mark.django_db
S = ApplicationState
F = FeedbackState
PHONE = "13912345678"
OTHER = "13800001111"
ORGANISATION_PHONE = "13800000000"  # the organisation's contact (OrganisationFactory)


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    LoggingSmsBackend.outbox.clear()
    yield
    LoggingSmsBackend.outbox.clear()


@pytest.fixture
def client(client):
    # Unprefixed paths follow the language cookie; English keeps the assertions independent of
    # the translations the lead adds at the end.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def project():
    return funded_project()


@pytest.fixture
def channel(project):
    return channel_for(project)


@pytest.fixture
def member(project):
    user = UserFactory(username="ngo_member")
    MembershipFactory(user=user, organisation=project.organisation, role=Role.APPLICANT)
    return user


@pytest.fixture
def evaluator():
    user = UserFactory(username="eva")
    MembershipFactory(user=user, organisation=None, role=Role.EVALUATOR)
    return user


def _public(channel) -> str:
    return reverse("grants:feedback_public", args=[channel.token])


def _form(**overrides) -> dict:
    data = {
        "satisfaction": "5",
        "attended": "yes",
        "timely": "yes",
        "comment": "志愿者每周都来看望我母亲，很贴心",
        "household": "12栋3单元502室",
        "phone": PHONE,
        "website": "",
    }
    data.update(overrides)
    return data


def _code() -> str:
    return re.search(r"\b(\d{6})\b", LoggingSmsBackend.outbox[-1][1]).group(1)


def _html(response) -> str:
    return response.content.decode()


# --- Public page ------------------------------------------------------------------------------


def test_public_page_shows_the_project_but_no_contact_of_the_organisation(client, channel):
    response = client.get(_public(channel))

    assert response.status_code == 200
    html = _html(response)
    assert channel.application.title in html
    assert channel.application.organisation.name in html
    assert "钟楼社区" in html
    assert channel.application.summary in html
    assert ORGANISATION_PHONE not in html
    assert channel.application.organisation.contact_name not in html
    assert 'name="satisfaction"' in html
    assert html.count('type="radio" name="satisfaction"') == 5
    assert "5 stars: very satisfied" in html  # the accessible label of each star
    assert 'name="website"' in html  # the honeypot
    assert response["Cache-Control"].startswith("max-age=0")


def test_unknown_token_is_404(client, channel):
    assert client.get("/pingyi/not-a-token/").status_code == 404


def test_a_project_never_funded_has_no_public_page(client):
    channel = channel_for(funded_project(state=S.REJECTED))
    assert client.get(_public(channel)).status_code == 404


def test_resident_sends_the_form_types_the_code_and_sees_the_thank_you(
    client, channel, django_capture_on_commit_callbacks
):
    # when: the form is sent
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_public(channel), _form())

    # then: a code went out and the confirmation page asks for it, showing only the last digits
    assert response.status_code == 302
    confirm_url = response["Location"]
    assert LoggingSmsBackend.outbox[-1][0] == PHONE
    page = client.get(confirm_url)
    assert page.status_code == 200
    assert "5678" in _html(page)
    assert PHONE not in _html(page)

    # when: the code is typed
    response = client.post(confirm_url, {"code": _code()})

    # then: thank-you, and the response counts
    assert response.status_code == 302
    thanks = client.get(confirm_url)
    assert "Thank you for your feedback" in _html(thanks)
    assert PHONE not in _html(thanks)
    row = FeedbackResponse.objects.get()
    assert (row.state, row.satisfaction, row.attended, row.timely) == (F.COUNTED, 5, "yes", "yes")


def test_wrong_code_shows_the_tries_left(client, channel, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        confirm_url = client.post(_public(channel), _form())["Location"]
    wrong = f"{(int(_code()) + 1) % 10**6:06d}"

    response = client.post(confirm_url, {"code": wrong})

    assert response.status_code == 400
    assert "Wrong code. 4 more tries." in _html(response)
    assert FeedbackResponse.objects.get().state == F.UNVERIFIED


def test_a_new_code_can_be_asked_for_from_the_confirmation_page(
    client, channel, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        confirm_url = client.post(_public(channel), _form())["Location"]
    FeedbackResponse.objects.update(
        code_sent_at=FeedbackResponse.objects.get().created_at.replace(year=2020)
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(confirm_url + "resend/", follow=True)
    assert "A new code has been sent." in _html(response)
    assert len(LoggingSmsBackend.outbox) == 2
    client.post(confirm_url, {"code": _code()})
    assert FeedbackResponse.objects.get().state == F.COUNTED


def test_second_response_from_the_same_phone_is_refused_with_the_date(client, channel):
    earlier = verified_response(channel, phone=PHONE, days_ago=3)

    response = client.post(_public(channel), _form(phone="139 1234 5678", satisfaction="1"))

    assert response.status_code == 409
    html = _html(response)
    assert "You have already given feedback on this project" in html
    assert earlier.verified_at.astimezone().date().isoformat()[:7] in html
    assert FeedbackResponse.objects.count() == 1
    assert LoggingSmsBackend.outbox == []


def test_household_mode_asks_for_the_household_and_refuses_a_second_one(client, project):
    channel = channel_for(project, mode=FeedbackMode.HOUSEHOLD)
    verified_response(channel, phone=OTHER, household="12栋3单元502室")

    missing = client.post(_public(channel), _form(household=""))
    assert missing.status_code == 400
    assert "one response per household" in _html(missing)

    again = client.post(_public(channel), _form(household="12幢3单元502"))
    assert again.status_code == 409
    assert "Your household has already given feedback" in _html(again)
    assert FeedbackResponse.objects.count() == 1


def test_the_honeypot_looks_like_success_but_keeps_and_sends_nothing(
    client, channel, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_public(channel), _form(website="http://spam.example"))
    assert response.status_code == 200
    assert "Thank you for your feedback" in _html(response)
    assert FeedbackResponse.objects.count() == 0
    assert LoggingSmsBackend.outbox == []


def test_a_closed_channel_shows_why_and_no_form(client, channel):
    channel.is_open = False
    channel.save()

    page = client.get(_public(channel))
    assert "closed" in _html(page)
    assert 'name="satisfaction"' not in _html(page)
    assert client.post(_public(channel), _form()).status_code == 400
    assert FeedbackResponse.objects.count() == 0


def test_a_completed_project_says_feedback_has_ended(client):
    channel = channel_for(funded_project(state=S.COMPLETED))
    page = client.get(_public(channel))
    assert page.status_code == 200
    assert "The project has ended" in _html(page)
    assert 'name="satisfaction"' not in _html(page)


def test_missing_rating_and_bad_number_are_clear_errors(client, channel):
    response = client.post(_public(channel), _form(satisfaction="", phone="12345"))
    assert response.status_code == 400
    html = _html(response)
    assert "Choose how satisfied you are" in html
    assert "mobile number (11 digits)" in html
    assert FeedbackResponse.objects.count() == 0


def test_too_many_submissions_from_one_address_get_429(client, channel, monkeypatch):
    from grants.services import feedback as svc

    monkeypatch.setattr(svc, "SUBMIT_LIMIT_PER_IP", (1, 3600))
    assert client.post(_public(channel), _form(phone="13900000001")).status_code == 302
    response = client.post(_public(channel), _form(phone="13900000002"))
    assert response.status_code == 429
    assert "Too many attempts" in _html(response)


# --- No phone number on any page --------------------------------------------------------------


def test_no_phone_number_appears_on_any_page(
    client, channel, officer, member, evaluator, django_capture_on_commit_callbacks
):
    # given: a confirmed response, a flagged one and a pending one
    with django_capture_on_commit_callbacks(execute=True):
        confirm_url = client.post(_public(channel), _form())["Location"]
    client.post(confirm_url, {"code": _code()})
    verified_response(channel, phone=OTHER, comment="很满意", state=F.FLAGGED)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_public(channel), _form(phone="13700002222"))
    application = channel.application
    pages = [
        (None, _public(channel)),
        (None, confirm_url),
        (officer, reverse("grants:feedback_officer", args=[application.pk])),
        (officer, reverse("grants:officer_application", args=[application.pk])),
        (member, reverse("grants:application_detail", args=[application.pk])),
    ]
    for user, url in pages:
        client.logout()
        if user:
            client.force_login(user)
        html = _html(client.get(url))
        for number in (PHONE, OTHER, "13700002222"):
            assert number not in html, url
            assert f"{number[:3]} {number[3:7]}" not in html, url
    # the evaluator's panel (the evaluations area renders it in its workspace)
    from grants.templatetags.feedback_panels import feedback_panel

    html = feedback_panel({}, application, evaluator, "evaluator")
    assert "很满意" in html and PHONE not in html and "5678" not in html


def test_officer_sees_last_four_digits_only_and_the_applicant_none(
    client, channel, officer, member
):
    verified_response(channel, phone=PHONE, comment="服务很及时")
    client.force_login(officer)
    assert "*******5678" in _html(
        client.get(reverse("grants:feedback_officer", args=[channel.application_id]))
    )
    client.force_login(member)
    html = _html(client.get(reverse("grants:application_detail", args=[channel.application_id])))
    assert "服务很及时" in html
    assert "5678" not in html


# --- Officer page and panels ------------------------------------------------------------------


def test_officer_panel_shows_figures_and_marks_flagged_comments(client, channel, officer):
    verified_response(
        channel, phone=PHONE, satisfaction=5, comment="志愿者每周都来看望我母亲，很贴心"
    )
    verified_response(channel, phone=OTHER, satisfaction=2, comment="活动通知太晚了")
    verified_response(
        channel, phone="13700002222", satisfaction=5, comment="刷好评刷好评刷好评", state=F.FLAGGED
    )
    client.force_login(officer)

    html = _html(client.get(reverse("grants:officer_application", args=[channel.application_id])))

    assert "Resident feedback" in html
    assert re.search(r"data-feedback-count>2<", html)
    assert "3.50 / 5" in html
    assert "50.0%" in html
    assert "Flagged" in html and "刷好评刷好评刷好评" in html
    assert "<svg" in html
    assert reverse("grants:feedback_poster", args=[channel.application_id]) in html


def test_applicant_panel_shows_counted_comments_only(client, channel, member):
    verified_response(channel, phone=PHONE, comment="志愿者每周都来看望我母亲，很贴心")
    verified_response(channel, phone=OTHER, comment="刷好评刷好评刷好评", state=F.FLAGGED)
    client.force_login(member)
    html = _html(client.get(reverse("grants:application_detail", args=[channel.application_id])))
    assert "志愿者每周都来看望我母亲，很贴心" in html
    assert "刷好评刷好评刷好评" not in html
    assert reverse("grants:feedback_poster_applicant", args=[channel.application_id]) in html
    assert reverse("grants:feedback_officer", args=[channel.application_id]) not in html


def test_officer_opens_the_page_from_the_panel(client, project, officer):
    client.force_login(officer)
    html = _html(client.get(reverse("grants:officer_application", args=[project.pk])))
    assert "Open the feedback page" in html
    response = client.post(reverse("grants:feedback_open", args=[project.pk]))
    assert response.status_code == 302
    assert FeedbackChannel.objects.get(application=project).is_open


def test_no_panel_for_a_project_not_funded(client, officer):
    application = funded_project(state=S.SUBMITTED)
    client.force_login(officer)
    html = _html(client.get(reverse("grants:officer_application", args=[application.pk])))
    assert "Resident feedback" not in html


def test_officer_closes_the_page_and_residents_see_it_closed(client, channel, officer):
    client.force_login(officer)
    response = client.post(
        reverse("grants:feedback_settings", args=[channel.application_id]),
        {"mode": "household", "closes_on": ""},
    )
    assert response.status_code == 302
    channel.refresh_from_db()
    assert (channel.is_open, channel.mode) == (False, "household")
    client.logout()
    assert 'name="satisfaction"' not in _html(client.get(_public(channel)))


def test_officer_excludes_a_response_from_the_page(client, channel, officer):
    response = verified_response(channel, phone=PHONE, satisfaction=1)
    client.force_login(officer)
    url = reverse("grants:feedback_exclude", args=[channel.application_id, response.pk])

    client.post(url, {"reason": ""})
    response.refresh_from_db()
    assert response.state == F.COUNTED

    page = client.post(url, {"reason": "同一户重复填写"}, follow=True)
    response.refresh_from_db()
    assert response.state == F.EXCLUDED
    assert "同一户重复填写" in _html(page)
    assert re.search(r"data-feedback-count>0<", _html(page))


@pytest.mark.parametrize("who", ["member", "evaluator", "outsider"])
def test_only_officers_reach_the_officer_page_and_actions(client, channel, who, request):
    response = verified_response(channel, phone=PHONE)
    client.force_login(request.getfixturevalue(who))
    pk = channel.application_id
    assert client.get(reverse("grants:feedback_officer", args=[pk])).status_code == 403
    assert client.post(reverse("grants:feedback_open", args=[pk])).status_code == 403
    assert (
        client.post(reverse("grants:feedback_settings", args=[pk]), {"mode": "phone"}).status_code
        == 403
    )
    assert (
        client.post(
            reverse("grants:feedback_exclude", args=[pk, response.pk]), {"reason": "x"}
        ).status_code
        == 403
    )
    response.refresh_from_db()
    assert response.state == F.COUNTED
    channel.refresh_from_db()
    assert channel.is_open


def test_anonymous_is_sent_to_log_in(client, channel):
    response = client.get(reverse("grants:feedback_officer", args=[channel.application_id]))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_outsider_sees_no_panel_on_nothing_and_gets_404_for_the_poster(client, channel, outsider):
    client.force_login(outsider)
    assert (
        client.get(reverse("grants:feedback_poster", args=[channel.application_id])).status_code
        == 404
    )
    assert (
        client.get(
            reverse("grants:feedback_poster_applicant", args=[channel.application_id])
        ).status_code
        == 404
    )


def test_officer_page_runs_a_constant_number_of_queries(
    client, channel, officer, django_assert_max_num_queries
):
    verified_response(channel, phone="13000000000", state=F.EXCLUDED, moderated_by=officer)
    client.force_login(officer)
    url = reverse("grants:feedback_officer", args=[channel.application_id])
    client.get(url)
    with django_assert_max_num_queries(20) as one:
        client.get(url)
    for n in range(1, 30):
        verified_response(
            channel,
            phone=f"130{n:08d}",
            state=F.EXCLUDED if n % 3 else F.COUNTED,
            moderated_by=officer,
        )
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(url)
    assert _html(page).count("feedback-row ") == 30


# --- Poster -----------------------------------------------------------------------------------


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler's pdftotext")
def test_poster_pdf_has_the_title_organisation_community_and_link(client, channel, officer, member):
    client.force_login(officer)
    response = client.get(reverse("grants:feedback_poster", args=[channel.application_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"],  # noqa: S607
        input=response.content,
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8")
    compact = re.sub(r"\s", "", text)
    assert re.sub(r"\s", "", channel.application.title) in compact
    assert channel.application.organisation.name in compact
    assert "钟楼社区" in compact
    assert f"/pingyi/{channel.token}/" in compact

    client.force_login(member)
    response = client.get(
        reverse("grants:feedback_poster_applicant", args=[channel.application_id])
    )
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")


def test_the_page_follows_the_language_switch(client, channel):
    assert '<html lang="en">' in _html(client.get(_public(channel)))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    assert '<html lang="zh-hans">' in _html(client.get(_public(channel)))


def test_resend_after_the_number_was_forgotten_asks_to_fill_in_the_form_again(
    client, channel, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    with django_capture_on_commit_callbacks(execute=True):
        confirm_url = client.post(_public(channel), _form())["Location"]
    cache.clear()  # the number is kept only while a code may be asked for again
    response = client.post(confirm_url + "resend/", follow=True)
    assert "fill in the feedback form again" in _html(response)
    assert len(LoggingSmsBackend.outbox) == 1


def test_a_last_day_in_the_past_is_refused_on_the_settings_form(client, channel, officer):
    client.force_login(officer)
    response = client.post(
        reverse("grants:feedback_settings", args=[channel.application_id]),
        {"is_open": "on", "mode": "phone", "closes_on": "2020-01-01"},
    )
    assert response.status_code == 400
    assert "cannot be in the past" in _html(response)
    channel.refresh_from_db()
    assert channel.closes_on is None
