from django.contrib import admin
from django.urls import include, path

from dancu.api import api

urlpatterns = [
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("", include("dancu.backoffice.urls")),
]
