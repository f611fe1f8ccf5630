"""The ``dancu`` command: Django's management commands plus dancu's own (``dancu help`` lists them).

Domain refusals end with one readable line on stderr and exit status 2; nothing is written.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dancu.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    args[0] = "dancu"
    if len(args) > 1 and args[1] == "nats-config":  # a command module's name cannot hold a '-'
        args[1] = "nats_config"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
