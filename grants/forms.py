"""Forms of the applicant side: choosing the organisation, the application form and its rows.

The application form is lenient on purpose: a draft may be incomplete (the eligibility engine
decides at submission what is missing), but what is typed must make sense (a number is a number,
an end date is not before its start). Row sections are formsets; blank rows are dropped.
"""

from __future__ import annotations

import html
from decimal import Decimal

from django import forms
from django.core.validators import MinValueValidator
from django.forms import formset_factory
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from grants.enums import AttachmentKind, BudgetCategory, CommentVisibility, Theme
from grants.models import Application
from incubator.enums import CommunityLevel
from incubator.models import Community

# Row sections of the form: formset prefix → (JSON field on Application or "budget_lines").
ROW_SECTIONS = ("activities", "indicators", "team", "budget")


class ApplyForm(forms.Form):
    """Which of the user's organisations applies (a choice only when there are several)."""

    organisation = forms.ModelChoiceField(
        queryset=None,
        label=_("Applying organisation"),
        empty_label=None,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        if len(choices := list(organisations)) == 1:
            self.fields["organisation"].initial = choices[0].pk


def _esc(value) -> str:
    """``conditional_escape`` without its lazy-string wrapper (called thousands of times)."""
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))


def _esc_s(value) -> str:
    """``{{ value|stringformat:'s' }}``: the filter returns a plain string, which is escaped."""
    return html.escape(f"{value}")


def _attrs_html(attrs: dict) -> str:
    """``django/forms/widgets/attrs.html`` in Python."""
    return "".join(
        f" {_esc(name)}" + ("" if value is True else f'="{_esc_s(value)}"')
        for name, value in attrs.items()
        if value is not False
    )


class CheckboxesInPython(forms.CheckboxSelectMultiple):
    """``CheckboxSelectMultiple`` with the same HTML, built in Python instead of three nested
    templates per option: the 831 partner communities of a city took ~0.5 s of template rendering
    on every application form page. The output is byte for byte that of Django's templates
    (``multiple_input.html`` → ``checkbox_option.html`` → ``input_option.html`` → ``input.html``)."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        id_ = widget["attrs"].get("id")
        css = widget["attrs"].get("class")
        parts = ["<div"]
        if id_:
            parts.append(f' id="{_esc(id_)}"')
        if css:
            parts.append(f' class="{_esc(css)}"')
        parts.append(">")
        for group, options, _index in widget["optgroups"]:
            if group:
                parts.append(f"\n  <div><label>{_esc(group)}</label>")
            for option in options:
                parts.append("<div>\n    ")
                option_attrs = option["attrs"]
                wrap = option["wrap_label"]
                if wrap:
                    for_id = option_attrs.get("id")
                    parts.append(f'<label for="{_esc(for_id)}">' if for_id else "<label>")
                parts.append(f'<input type="{_esc(option["type"])}" name="{_esc(option["name"])}"')
                if option["value"] is not None:
                    parts.append(f' value="{_esc_s(option["value"])}"')
                parts.append(_attrs_html(option_attrs))
                parts.append(">\n")
                if wrap:
                    parts.append(f" {_esc(option['label'])}</label>")
                parts.append("\n\n</div>")
            if group:
                parts.append("\n  </div>")
        parts.append("\n</div>")
        return mark_safe("".join(parts))  # noqa: S308 — every value above is escaped


def _community_label(name: str, parent_name: str | None) -> str:
    return f"{name}（{parent_name}）" if parent_name is not None else name


class CommunityChoices(forms.models.ModelChoiceIterator):
    """The choices from four columns instead of 831 ``Community`` and 831 parent instances (the
    widget only needs each pk and label); same rows, same order, same labels."""

    def __iter__(self):
        rows = self.queryset.values_list("pk", "name", "parent_id", "parent__name")
        for pk, name, parent_id, parent_name in rows:
            yield (
                forms.models.ModelChoiceIteratorValue(pk, None),
                _community_label(name, parent_name if parent_id else None),
            )


class CommunityChoiceField(forms.ModelMultipleChoiceField):
    iterator = CommunityChoices

    def label_from_instance(self, obj: Community) -> str:
        return _community_label(obj.name, obj.parent.name if obj.parent_id else None)


def _field_label(name: str):
    return capfirst(Application._meta.get_field(name).verbose_name)


class ApplicationForm(forms.Form):
    """The fixed sections and the call's extra questions (fields named ``q_<key>``)."""

    title = forms.CharField(label=_field_label("title"), max_length=200, required=False)
    summary = forms.CharField(
        label=_field_label("summary"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("In a few sentences: what the project does, for whom, where."),
    )
    need = forms.CharField(
        label=_field_label("need"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "The problem in the community, with evidence (surveys, figures, residents' requests)."
        ),
    )
    objectives = forms.CharField(
        label=_field_label("objectives"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    beneficiaries = forms.CharField(
        label=_field_label("beneficiaries"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Who benefits and how they are reached."),
    )
    beneficiaries_count = forms.IntegerField(
        label=_field_label("beneficiaries_count"), required=False, min_value=0
    )
    partner_communities = CommunityChoiceField(
        label=_field_label("partner_communities"),
        queryset=Community.objects.none(),
        required=False,
        widget=CheckboxesInPython,
        help_text=_("The 社区 where the project takes place."),
    )

    fixed_fields = (
        "title", "summary", "need", "objectives", "beneficiaries", "beneficiaries_count",
    )  # fmt: skip

    def __init__(
        self, *args, questions: list[dict] | None = None, themes: list[str] | None = None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        themes = [code for code in themes or [] if code in Theme.values]
        if len(themes) > 1:  # with one theme there is nothing to choose
            self.fields["theme"] = forms.ChoiceField(
                label=_field_label("theme"),
                choices=[("", "—"), *((code, Theme(code).label) for code in themes)],
                required=False,
                help_text=_("The theme of the call this project serves."),
            )
        self.fields["partner_communities"].queryset = (
            Community.objects.filter(level=CommunityLevel.COMMUNITY)
            .select_related("parent")
            .order_by("parent__name", "name")
        )
        self.questions = [q for q in (questions or []) if q.get("key")]
        for question in self.questions:
            self.fields[f"q_{question['key']}"] = question_field(question)

    def question_fields(self):
        """The bound fields of the extra questions, in the order the officer set."""
        return [self[f"q_{question['key']}"] for question in self.questions]

    def fields_data(self) -> dict:
        """The fixed sections that are valid, for ``save_draft`` (invalid ones are left as saved)."""
        data = getattr(self, "cleaned_data", {})
        return {name: data[name] for name in (*self.fixed_fields, "theme") if name in data}

    def extra_answers(self) -> dict:
        data = getattr(self, "cleaned_data", {})
        answers = {}
        for question in self.questions:
            name = f"q_{question['key']}"
            if name in data:
                answers[question["key"]] = _json_answer(data[name])
        return answers

    def partner_community_ids(self) -> list[int] | None:
        data = getattr(self, "cleaned_data", {})
        if "partner_communities" not in data:
            return None
        return sorted(community.pk for community in data["partner_communities"])


YES_NO = [("", "—"), ("yes", _("Yes")), ("no", _("No"))]


def question_field(question: dict) -> forms.Field:
    """A form field for one of the call's questions. Required ones are marked, not enforced here:
    a draft may be incomplete; the eligibility engine refuses a submission that misses them."""
    kind = question.get("type", "text")
    common = {
        "label": question.get("label") or question["key"],
        "help_text": question.get("help", ""),
        "required": False,
    }
    if kind == "textarea":
        field = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), **common)
    elif kind == "number":
        field = forms.DecimalField(max_digits=14, decimal_places=2, **common)
    elif kind == "choice":
        field = forms.ChoiceField(
            choices=[("", "—"), *_choices(question.get("choices") or [])], **common
        )
    elif kind == "yesno":
        field = forms.ChoiceField(choices=YES_NO, widget=forms.RadioSelect, **common)
    else:
        field = forms.CharField(max_length=1000, **common)
    field.question_required = bool(question.get("required"))
    return field


def _choices(raw: list) -> list[tuple[str, str]]:
    choices = []
    for item in raw:
        if isinstance(item, dict):
            value = str(item.get("value", item.get("label", "")))
            choices.append((value, str(item.get("label", value))))
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            choices.append((str(item[0]), str(item[1])))
        else:
            choices.append((str(item), str(item)))
    return choices


def _json_answer(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value if value is not None else ""


def answers_as_initial(questions: list[dict], answers: dict) -> dict:
    return {f"q_{q['key']}": answers.get(q["key"], "") for q in questions if q.get("key")}


# --- Row sections ---------------------------------------------------------------------------


class RowForm(forms.Form):
    """A formset row. ``row_data`` is what is stored; an untouched blank row stores nothing."""

    def row_data(self) -> dict | None:
        data = getattr(self, "cleaned_data", None)
        if not data or data.get("DELETE"):
            return None
        row = {
            name: _json_row_value(data.get(name)) for name in self.base_fields if name != "DELETE"
        }
        if not any(
            value not in ("", None) for name, value in row.items() if name not in self.defaults
        ):
            return None
        return row

    defaults: tuple[str, ...] = ()


def _json_row_value(value):
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


class ActivityForm(RowForm):
    name = forms.CharField(label=_("Activity"), max_length=200, required=False)
    start = forms.DateField(
        label=_("Start"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=_("End"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end date is before the start date."))
        return data


class IndicatorForm(RowForm):
    KINDS = [
        ("output", pgettext_lazy("indicator kind", "Output")),
        ("outcome", pgettext_lazy("indicator kind", "Outcome")),
    ]

    name = forms.CharField(label=_("Indicator"), max_length=200, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=KINDS, initial="output", required=False)
    target = forms.CharField(label=_("Target"), max_length=100, required=False)
    unit = forms.CharField(label=_("Unit"), max_length=30, required=False)
    defaults = ("kind",)


class TeamMemberForm(RowForm):
    ROLES = [
        ("social_worker", _("Social worker")),
        ("volunteer", _("Volunteer")),
        ("staff", pgettext_lazy("team role", "Staff")),
    ]

    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    role = forms.ChoiceField(
        label=_("Role"), choices=ROLES, initial="social_worker", required=False
    )
    qualification = forms.CharField(
        label=_("Qualification"),
        max_length=200,
        required=False,
        help_text=_("E.g. 社会工作师 certificate, years of experience."),
    )
    defaults = ("role",)


class BudgetLineForm(RowForm):
    category = forms.ChoiceField(
        label=_("Category"), choices=BudgetCategory.choices, required=False
    )
    description = forms.CharField(label=_("Item"), max_length=200, required=False)
    amount = forms.DecimalField(
        label=_("Grant (yuan)"),
        max_digits=12,
        decimal_places=2,
        required=False,
        validators=[MinValueValidator(Decimal("0"))],
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )
    matching_amount = forms.DecimalField(
        label=_("Matching funds (yuan)"),
        max_digits=12,
        decimal_places=2,
        required=False,
        validators=[MinValueValidator(Decimal("0"))],
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )
    defaults = ("category",)

    def clean(self):
        data = super().clean()
        has_money = bool(data.get("amount") or data.get("matching_amount"))
        if has_money and not (data.get("description") or "").strip():
            self.add_error("description", _("Say what this money pays for."))
        return data

    def row_data(self) -> dict | None:
        row = super().row_data()
        if row is None:
            return None
        row["category"] = row["category"] or BudgetCategory.OTHER
        row["amount"] = str(self.cleaned_data.get("amount") or Decimal("0"))
        row["matching_amount"] = str(self.cleaned_data.get("matching_amount") or Decimal("0"))
        return row


ROW_FORMS = {
    "activities": ActivityForm,
    "indicators": IndicatorForm,
    "team": TeamMemberForm,
    "budget": BudgetLineForm,
}


def row_formset(prefix: str, *, data=None, initial: list[dict] | None = None, extra: int = 0):
    """A formset of one row section, with ``extra`` blank rows (one when there is nothing yet)."""
    initial = initial or []
    formset_class = formset_factory(
        ROW_FORMS[prefix],
        extra=max(extra, 0 if initial else 1),
        can_delete=True,
        max_num=200,
        absolute_max=200,
        validate_max=True,
    )
    if data is not None:
        # Bound: rows are what was posted. Passing the saved rows as ``initial`` too would make
        # Django drop a posted blank-form row that equals a saved one as "unchanged".
        return formset_class(data=data, prefix=prefix)
    return formset_class(initial=initial, prefix=prefix)


def formset_rows(formset) -> list[dict] | None:
    """The rows to store, or ``None`` (leave the section as saved) when something in it is invalid."""
    if not formset.is_bound or not formset.management_form.is_valid():
        return None
    # A section with a bad row keeps what was saved before: dropping the row would lose it.
    if not formset.is_valid():
        return None
    return [row for form in formset.forms if (row := form.row_data()) is not None]


# --- Attachments, comments, withdrawal -------------------------------------------------------


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind of document"), choices=AttachmentKind.choices, initial=AttachmentKind.PLAN
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, Word, Excel, JPG or PNG, at most 20 MB."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.doc,.docx,.xls,.xlsx,.jpg,.jpeg,.png"}
        ),
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Message to the programme officer"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    visibility = CommentVisibility.APPLICANT


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you withdraw? (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
