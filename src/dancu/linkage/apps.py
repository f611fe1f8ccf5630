from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LinkageConfig(AppConfig):
    name = "dancu.linkage"
    label = "linkage"
    verbose_name = _("Bulk reconciliation")
    default_auto_field = "django.db.models.BigAutoField"
