from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "dancu.accounts"
    verbose_name = "E-ID accounts"

    def ready(self) -> None:
        from dancu.accounts import signals  # noqa: F401
