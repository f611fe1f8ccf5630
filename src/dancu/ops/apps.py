from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "dancu.ops"
    label = "ops"
    verbose_name = "Operations"
