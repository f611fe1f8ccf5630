from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "dancu.portal"
    verbose_name = "Citizen portal"
