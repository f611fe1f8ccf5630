import os

from django.contrib import admin
from django.urls import include, path

from dancu.api import api
from dancu.services import views as results_views

urlpatterns = [
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("o/", include("dancu.accounts.oidc_urls")),
    path("portal/", include("dancu.portal.urls")),
    path("ket-qua/khoa.json", results_views.keys, name="document_keys"),
    path("ket-qua/", results_views.check, name="document_check"),
    path("ket-qua/<uuid:document_id>/", results_views.check, name="document"),
    path("thanh-toan/callback/", results_views.payment_callback, name="payment_callback"),
    path("thanh-toan/gia-lap/<uuid:payment_id>/", results_views.simulated_checkout, name="payment_simulated"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("dancu.backoffice.urls")),
]

if "DANCU_DEMO" in os.environ:
    # The demo relying party lives on its own origin (`dancu demo_rp`); the old address leads there.
    from dancu.accounts.demo_rp import elsewhere

    urlpatterns.insert(0, path("demo-rp/", elsewhere))
