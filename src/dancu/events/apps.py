from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "dancu.events"
    verbose_name = _("Event log")

    def ready(self) -> None:
        # Every Django process (web, commands, consumers) loads this app first of the domain's: from here on a domain
        # error's message is rendered in the active language (the gateway, without Django, stays English).
        from django.utils.translation import gettext

        from dancu.core.errors import install_translator

        install_translator(gettext)
