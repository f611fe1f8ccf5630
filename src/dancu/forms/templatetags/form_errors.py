"""Errors shown the same way on every form of both doors (the GOV.UK pattern): a summary at the top of the page
that links to each refused field and takes the focus, and beside each field its messages, which the field points
at with ``aria-describedby`` and marks with ``aria-invalid``.

In a template::

    {% load form_errors %}
    {% error_summary form %}
    <label class="form-label" for="pin">...</label>
    <input {% field_attrs form "pin" class="form-control" %} id="pin" name="pin" ...>
    {% field_error form "pin" %}

The message's element has the id ``<field id>_error`` (Django's own convention for the errors it renders).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.forms import BaseForm, Form
from django.template.loader import render_to_string
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

register = template.Library()


def _anchor(form: Form, name: str) -> str:
    """The id of the element a field's errors belong to: the input (or ``error_anchors``' element for a group)."""
    anchors: dict[str, str] = getattr(form, "error_anchors", {})
    if name in anchors:
        return anchors[name]
    if name in form.fields:
        return form[name].id_for_label or name
    return name


def _messages(form: Form | None, name: str) -> list[str]:
    """The field's messages; none for a form not sent, or a variable the page does not have (drawn as "")."""
    if not isinstance(form, BaseForm) or not form.is_bound:
        return []
    return [str(message) for message in form.errors.get(name, [])]


@register.simple_tag
def error_summary(*forms: Form | None) -> SafeString:
    """The summary of every error of the given forms, non-field errors first; nothing when there is none."""
    items: list[tuple[str, str]] = []
    for form in forms:
        if not isinstance(form, BaseForm) or not form.is_bound or not form.errors:
            continue
        items.extend(("", message) for message in _messages(form, "__all__"))
        for name in form.fields:
            items.extend((_anchor(form, name), message) for message in _messages(form, name))
    if not items:
        return mark_safe("")
    return mark_safe(render_to_string("forms/error_summary.html", {"items": list(dict.fromkeys(items))}))  # noqa: S308 - a rendered template


@register.simple_tag
def field_attrs(form: Form | None, name: str, *, describedby: str = "", **attrs: str) -> SafeString:
    """The attributes an input needs for its errors: ``aria-invalid`` and ``aria-describedby`` (after ``describedby``,
    a hint's id) when the field was refused; any other keyword (``class``) is written too, with ``is-invalid``
    added to the class of a refused field."""
    invalid = bool(_messages(form, name))
    ids = [describedby] if describedby else []
    if invalid:
        ids.append(f"{_anchor(form, name)}_error")  # type: ignore[arg-type]
        attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
        attrs["aria-invalid"] = "true"
    if ids:
        attrs["aria-describedby"] = " ".join(ids)
    return format_html_join(" ", '{}="{}"', sorted(attrs.items()))


@register.simple_tag
def field_error(form: Form | None, name: str) -> SafeString:
    """The field's messages beside it, in the element its ``aria-describedby`` names; nothing when it has none."""
    messages = _messages(form, name)
    if not messages:
        return mark_safe("")
    return format_html(
        '<div class="invalid-feedback d-block" id="{}_error">{}</div>',
        _anchor(form, name),  # type: ignore[arg-type]
        format_html_join(
            mark_safe("<br>"),
            '<span class="visually-hidden">{}</span>{}',
            ((_("Error: "), message) for message in messages),
        ),
    )


@register.filter
def has_errors(form: Any, name: str) -> bool:
    """Whether the field was refused (for a class or a fieldset's attributes drawn by hand)."""
    return bool(_messages(form, name))
