"""The one error display of both doors: the summary, each field's message and the attributes that tie them."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.utils import translation

from dancu.forms import DoorForm
from tests.forms.page import form_errors


class ExampleForm(DoorForm):
    error_anchors = {"choices": "choice-first"}

    name = forms.CharField(error_messages={"required": "Enter the name."})
    note = forms.CharField(required=False, max_length=3)
    choices = forms.MultipleChoiceField(required=False, choices=[("a", "A")])

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if cleaned.get("note") == "x":
            raise ValidationError("The whole form is refused.", code="refused")
        return cleaned


PAGE = Template(
    "{% load form_errors %}{% error_summary form %}"
    '<input {% field_attrs form "name" class="form-control" describedby="name-hint" %} id="name">'
    '<span id="name-hint">As on the card.</span>{% field_error form "name" %}'
    '<input {% field_attrs form "note" class="form-control" %} id="note">{% field_error form "note" %}'
    '<input type="checkbox" id="choice-first" {% field_attrs form "choices" %}>{% field_error form "choices" %}'
)


def _draw(form: DoorForm | None) -> str:
    with translation.override("en"):
        return PAGE.render(Context({"form": form}))


def test_nothing_is_drawn_for_a_form_not_sent_or_accepted() -> None:
    for form in (None, ExampleForm(), ExampleForm({"name": "An"})):
        html = _draw(form)
        assert "data-error-summary" not in html and "aria-invalid" not in html and "_error" not in html
        assert '<input aria-describedby="name-hint" class="form-control" id="name">' in html


def test_each_error_beside_its_field_and_in_the_summary() -> None:
    html = _draw(ExampleForm({"name": "", "note": "long", "choices": ["z"]}))
    found = form_errors(html)
    assert found.heading == "There is a problem"
    assert found.summary == [
        ("Enter the name.", "name"),
        ("Ensure this value has at most 3 characters (it has 4).", "note"),
        ("Select a valid choice. z is not one of the available choices.", "choice-first"),
    ]
    assert found.invalid == {
        "name": "As on the card. Error: Enter the name.",
        "note": "Error: Ensure this value has at most 3 characters (it has 4).",
        "choice-first": "Error: Select a valid choice. z is not one of the available choices.",
    }
    assert 'class="form-control is-invalid"' in html
    assert 'role="alert"' in html and 'tabindex="-1"' in html and "forms/error-summary.js" in html


def test_errors_of_the_whole_form_come_first_without_a_link() -> None:
    found = form_errors(_draw(ExampleForm({"name": "", "note": "x"})))
    assert found.summary == [("The whole form is refused.", ""), ("Enter the name.", "name")]
    found = form_errors(_draw(ExampleForm({"name": "An", "note": "x"})))
    assert found.summary == [("The whole form is refused.", "")]
    assert found.invalid == {}


def test_messages_are_escaped() -> None:
    form = ExampleForm({"name": "An"})
    assert form.is_valid()
    form.add_error("name", "<script>alert(1)</script>")
    html = _draw(form)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_the_summary_in_vietnamese() -> None:
    with translation.override("vi"):
        html = PAGE.render(Context({"form": ExampleForm({"name": ""})}))
    found = form_errors(html)
    assert found.heading == "Có lỗi"
    assert found.invalid["name"] == "As on the card. Lỗi: Enter the name."
