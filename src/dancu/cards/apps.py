from django.apps import AppConfig


class CardsConfig(AppConfig):
    name = "dancu.cards"
    verbose_name = "Identity cards"
