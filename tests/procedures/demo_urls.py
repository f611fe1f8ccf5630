"""The site as ``DANCU_DEMO=1`` mounts it (with the simulated payment provider's checkout), whatever the test
process's environment: tests that pay through that page switch ``ROOT_URLCONF`` here (the ``demo_site`` fixture)."""

from dancu.urls import simulated_provider
from dancu.urls import urlpatterns as site

urlpatterns = simulated_provider + [p for p in site if p not in simulated_provider]
