"""The submit surge: every simulated applicant opens a complete draft and presses Submit.

Started by bench/run.py (``locust -f bench/locustfile.py --headless``) with BENCH_DRAFTS naming a
JSON file of ``[session_key, application_pk]`` pairs; each draft is submitted once. Like a browser,
a user loads the edit page, sends back every field of its form with the CSRF token it holds, and
follows nothing: a 302 to the application's page is a submit, anything else an error.
"""

from __future__ import annotations

import json
import os
from html.parser import HTMLParser

from locust import HttpUser, constant, task

_DRAFTS = json.loads(open(os.environ["BENCH_DRAFTS"]).read())  # noqa: SIM115, PTH123
_NEXT = iter(_DRAFTS)


class SubmitForm(HTMLParser):
    """The fields a browser would send for the form that holds the Submit button."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[list[tuple[str, str]]] = []
        self.has_submit: list[bool] = []
        self._textarea: str | None = None
        self._select: str | None = None
        self._select_value: str | None = None
        self._select_first: str | None = None
        self._option_value: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append([])
            self.has_submit.append(False)
        if not self.forms:
            return
        fields = self.forms[-1]
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    fields.append((name, a.get("value", "on")))
            elif kind in ("submit", "button", "image", "reset", "file"):
                if name == "submit":
                    self.has_submit[-1] = True
            else:
                fields.append((name, a.get("value", "")))
        elif tag == "button" and name == "submit":
            self.has_submit[-1] = True
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []
        elif tag == "select" and name:
            self._select, self._select_value, self._select_first = name, None, None
        elif tag == "option" and self._select:
            value = a.get("value")
            self._option_value = value
            if self._select_first is None:
                self._select_first = value
            if "selected" in a:
                self._select_value = value

    def handle_data(self, data):
        if self._textarea is not None or (self._select and self._option_value is None):
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None:
            self.forms[-1].append((self._textarea, "".join(self._text).removeprefix("\n")))
            self._textarea = None
        elif tag == "select" and self._select:
            value = self._select_value if self._select_value is not None else self._select_first
            self.forms[-1].append((self._select, value or ""))
            self._select = None

    def submit_fields(self) -> list[tuple[str, str]] | None:
        for fields, has_submit in zip(self.forms, self.has_submit, strict=True):
            if has_submit:
                return [*fields, ("submit", "1")]
        return None


class Applicant(HttpUser):
    wait_time = constant(0)

    @task
    def submit_a_draft(self):
        try:
            session_key, pk = next(_NEXT)
        except StopIteration:
            self.environment.runner.quit()
            return
        self.client.cookies.clear()
        self.client.cookies.set("sessionid", session_key)
        edit = f"/me/applications/{pk}/edit/"
        with self.client.get(edit, name="open the draft", catch_response=True) as page:
            if page.status_code != 200:
                page.failure(f"edit page answered {page.status_code}")
                return
            parser = SubmitForm()
            parser.feed(page.text)
            fields = parser.submit_fields()
            if fields is None:
                page.failure("no form with a Submit button")
                return
        with self.client.post(
            edit,
            data=fields,
            name="submit",
            headers={"Referer": self.host + edit},
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 302 and f"/me/applications/{pk}/" in response.headers.get(
                "Location", ""
            ):
                response.success()
            else:
                response.failure(f"submit answered {response.status_code}")
