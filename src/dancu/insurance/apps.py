from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsuranceConfig(AppConfig):
    name = "dancu.insurance"
    verbose_name = _("Health insurance")
