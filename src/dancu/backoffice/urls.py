from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from dancu.backoffice import dossiers, forms, frontdesk, offline, scoreboard, views

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
    path("offline/", offline.workspace, name="offline"),
    path("offline/sw.js", offline.service_worker, name="offline_sw"),
    path("offline/session/", offline.session, name="offline_session"),
    path("offline/rules/", offline.rules, name="offline_rules"),
    path("offline/enrol/", offline.enrol, name="offline_enrol"),
    path("offline/key/", offline.key, name="offline_key"),
    path("offline/working-set/", offline.working_set, name="offline_working_set"),
    path("offline/numbers/", offline.numbers, name="offline_numbers"),
    path("offline/sync/", offline.sync, name="offline_sync"),
    path("offline/review/", offline.review, name="offline_review"),
    path("chi-so/", scoreboard.scoreboard, name="scoreboard"),
    re_path(r"^chi-so/(?P<name>[a-z]+)\.(?P<fmt>csv|xlsx)$", scoreboard.export, name="scoreboard_export"),
    path("tiep-don/", frontdesk.front_desk, name="front_desk"),
]
