from django.apps import AppConfig


class FormsConfig(AppConfig):
    """The doors' shared form display: the error summary and the field error tags (``{% load form_errors %}``)."""

    name = "dancu.forms"
    label = "door_forms"  # "forms" would clash with django.forms should it ever be installed
    verbose_name = "Forms"
