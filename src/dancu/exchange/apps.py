from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "dancu.exchange"
    verbose_name = "Connected systems"
