from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "dancu.accounts"
    verbose_name = _("E-ID accounts")

    def ready(self) -> None:
        from dancu.accounts import signals  # noqa: F401
        from dancu.accounts.toolkit_admin import translate_toolkit_admin

        translate_toolkit_admin()
