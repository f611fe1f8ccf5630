from django.apps import AppConfig


class OldServicesConfig(AppConfig):
    """The app as it was labelled before the rename: only its migrations (``old_settings.MIGRATION_MODULES``)."""

    name = "tests.procedures.upgrade"
    label = "services"
    default_auto_field = "django.db.models.BigAutoField"
