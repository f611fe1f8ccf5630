from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import URLPattern, URLResolver, include, path
from django.views.generic import RedirectView

from dancu.api import api
from dancu.cards import views as pki_views
from dancu.insights import views as insights_views
from dancu.procedures import views as results_views


class FaviconView(RedirectView):
    """Browsers ask for /favicon.ico whatever the page says: send them to the icon the pages link to."""

    permanent = True

    def get_redirect_url(self, *args: object, **kwargs: object) -> str:
        return static("favicon.svg")


urlpatterns = [
    path("favicon.ico", FaviconView.as_view()),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("o/", include("dancu.accounts.oidc_urls")),
    path("portal/", include("dancu.portal.urls")),
    path("ket-qua/khoa.json", results_views.keys, name="document_keys"),
    path("ket-qua/", results_views.check, name="document_check"),
    path("ket-qua/<uuid:document_id>/", results_views.check, name="document"),
    path("thanh-toan/callback/", results_views.payment_callback, name="payment_callback"),
    path("pki/masterlist.ml", pki_views.master_list, name="pki_master_list"),
    path("pki/csca.crl", pki_views.certificate_revocation_list, name="pki_crl"),
    path("pki/csca.cer", pki_views.csca_certificate, name="pki_csca"),
    path("du-lieu-mo/", insights_views.open_data, name="open_data"),
    path("du-lieu-mo/du-lieu.json", insights_views.open_data_json, name="open_data_json"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("dancu.backoffice.urls")),
]

#: The simulated payment provider's checkout (what a bank's page would be): mounted only in the demo (DANCU_DEMO),
#: since whoever holds a payment's id could pay it there. Tests mount it with ``tests.procedures.demo_urls``.
simulated_provider: list[URLPattern | URLResolver] = [
    path("thanh-toan/gia-lap/<uuid:payment_id>/", results_views.simulated_checkout, name="payment_simulated"),
]
if settings.DEMO:
    # The demo relying party lives on its own origin (`dancu demo_rp`); the old address leads there.
    from dancu.accounts.demo_rp import elsewhere

    urlpatterns = [*simulated_provider, path("demo-rp/", elsewhere), *urlpatterns]
