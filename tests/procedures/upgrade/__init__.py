"""A database made before the ``services`` app became ``procedures`` (issue 14), and the check that it upgrades.

``services_migrations/`` holds that app's four migrations as they were at commit 0b3d0a8, byte for byte; ``apps`` and
``old_settings`` install them under the old label, with no models, so that ``migrate`` builds the old schema (and,
through post_migrate, the old content types and permissions) from them alone.
"""
