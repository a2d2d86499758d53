"""The Wagtail admin form of a call: themes as check boxes, extra questions as a StreamField.

The questions are not a column of ``Call``: they live in versioned ``CallForm`` rows. The form shows
the latest version and, on save, hands the edited list to ``publish_call_questions``, which writes a
new version only when something changed.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.blocks.stream_block import StreamBlockValidationError

from grants.enums import Theme
from grants.services.calls import latest_questions, normalise_questions, publish_call_questions

QUESTION_TYPE_CHOICES = [
    ("text", _("Short text")),
    ("textarea", _("Long text")),
    ("number", _("Number")),
    ("choice", _("Choice from a list")),
    ("yesno", _("Yes or no")),
]


class QuestionBlock(blocks.StructBlock):
    key = blocks.CharBlock(
        label=_("Key"),
        max_length=50,
        validators=[
            RegexValidator(
                r"^[a-z][a-z0-9_]*$",
                _("Lower-case letters, digits and underscores, starting with a letter."),
            )
        ],
        help_text=_(
            "Stable code of the answer, e.g. households_reached. Keep it when you reword the "
            "question, so earlier answers still match."
        ),
    )
    label = blocks.CharBlock(label=_("Question"), max_length=300)
    help = blocks.CharBlock(label=_("Help text"), required=False, max_length=500)
    type = blocks.ChoiceBlock(choices=QUESTION_TYPE_CHOICES, default="text", label=_("Answer type"))
    required = blocks.BooleanBlock(label=_("Required"), required=False)
    choices = blocks.TextBlock(
        label=_("Choices"),
        required=False,
        help_text=_("One per line; only for “Choice from a list”."),
    )

    class Meta:
        icon = "help"
        label = _("Question")


class QuestionsBlock(blocks.StreamBlock):
    question = QuestionBlock()

    class Meta:
        required = False


def questions_to_stream(block: QuestionsBlock, questions: list[dict]):
    """The stored JSON list as the StreamValue the editor shows."""
    return block.to_python(
        [
            {
                "type": "question",
                "value": {
                    "key": q.get("key", ""),
                    "label": q.get("label", ""),
                    "help": q.get("help", ""),
                    "type": q.get("type", "text"),
                    "required": bool(q.get("required")),
                    "choices": "\n".join(str(c) for c in q.get("choices") or []),
                },
            }
            for q in questions or []
        ]
    )


def stream_to_questions(value) -> list[dict]:
    """The edited StreamValue as the JSON list ``CallForm.questions`` stores."""
    questions = []
    for child in value or []:
        data = child.value
        questions.append(
            {
                "key": data.get("key") or "",
                "label": data.get("label") or "",
                "help": data.get("help") or "",
                "type": data.get("type") or "text",
                "required": bool(data.get("required")),
                "choices": [
                    line.strip()
                    for line in (data.get("choices") or "").splitlines()
                    if line.strip()
                ],
            }
        )
    return questions


class CallAdminForm(WagtailAdminModelForm):
    themes = forms.MultipleChoiceField(
        label=_("Themes"),
        choices=Theme.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    questions = blocks.BlockField(
        block=QuestionsBlock(),
        label=_("Extra questions"),
        required=False,
        help_text=_(
            "Saving changed questions publishes a new form version for new applications; "
            "applications already started keep the version they answered."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        block = self.fields["questions"].block
        stored = latest_questions(self.instance) if self.instance.pk else []
        self.initial["questions"] = questions_to_stream(block, stored)

    def clean_questions(self) -> list[dict]:
        questions = stream_to_questions(self.cleaned_data.get("questions"))
        try:
            return normalise_questions(questions)
        except ValidationError as error:
            # Shown above the question list: the StreamField widget expects its own error shape.
            raise StreamBlockValidationError(non_block_errors=error.messages) from error

    def save(self, commit=True):
        call = super().save(commit=commit)
        if commit:
            if call.created_by_id is None and self.for_user is not None:
                type(call).objects.filter(pk=call.pk).update(created_by=self.for_user)
                call.created_by = self.for_user
            publish_call_questions(
                call=call, questions=self.cleaned_data.get("questions") or [], actor=self.for_user
            )
        return call
