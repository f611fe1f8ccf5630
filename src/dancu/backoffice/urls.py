from django.contrib.auth import views as auth_views
from django.urls import path

from dancu.backoffice import dossiers, forms, frontdesk, views

app_name = "backoffice"
urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="backoffice/login.html", authentication_form=forms.OfficialLoginForm
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("persons/<int:person_id>/", views.person_detail, name="person"),
    path("persons/<int:person_id>/eid-level2/", views.activate_level2_view, name="activate_level2"),
    path("ho-so/", dossiers.queue, name="queue"),
    path("ho-so/<uuid:dossier_id>/", dossiers.dossier_detail, name="dossier"),
    path("ho-so/<uuid:dossier_id>/thao-tac/", dossiers.dossier_action, name="dossier_action"),
    path("ho-so/<uuid:dossier_id>/tep/<int:attachment_id>/", dossiers.attachment, name="dossier_attachment"),
    path("households/<str:number>/", views.household_detail, name="household"),
    path("tiep-don/", frontdesk.front_desk, name="front_desk"),
]
