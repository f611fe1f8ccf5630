from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "dancu.insights"
    verbose_name = _("Programme indicators")
