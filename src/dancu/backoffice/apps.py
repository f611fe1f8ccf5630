from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "dancu.backoffice"
    verbose_name = "Back office"
