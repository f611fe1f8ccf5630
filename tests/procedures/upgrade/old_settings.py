"""dancu's settings with the ``procedures`` app replaced by the old ``services`` label and its old migrations."""

from dancu.settings import *  # noqa: F403
from dancu.settings import INSTALLED_APPS as _APPS

INSTALLED_APPS = [
    "tests.procedures.upgrade.apps.OldServicesConfig" if app == "dancu.procedures" else app for app in _APPS
]
MIGRATION_MODULES = {"services": "tests.procedures.upgrade.services_migrations"}
