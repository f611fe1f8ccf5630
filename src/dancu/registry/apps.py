from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "dancu.registry"
    verbose_name = "Population registry"
