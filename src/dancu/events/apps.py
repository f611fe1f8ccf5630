from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "dancu.events"
    verbose_name = "Event log"
