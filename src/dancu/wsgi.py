"""WSGI entry point (served by granian in WSGI mode: ``granian --interface wsgi dancu.wsgi:application``).

Loaded in each granian worker before granian installs its signal handlers: they are made to stop the worker on the
first SIGTERM and ignore later ones (:func:`dancu.core.processes.granian_signals_once`). Health probes and the
followers' lag metrics are answered in front of Django (:mod:`dancu.ops.health`)."""

import os

from django.core.wsgi import get_wsgi_application

from dancu.core.processes import granian_signals_once

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dancu.settings")
granian_signals_once()
django_application = get_wsgi_application()

from dancu.ops.health import HealthEndpoints  # noqa: E402 (needs Django set up)

#: /healthz, /readyz and /metrics answered in front of Django (dancu/ops/health.py).
application = HealthEndpoints(django_application)
