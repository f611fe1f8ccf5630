from django.apps import AppConfig


class ServicesConfig(AppConfig):
    name = "dancu.services"
    label = "services"
    verbose_name = "Online public services"
