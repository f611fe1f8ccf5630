from django.urls import path

from dancu.portal import procedures, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("dang-nhap/", views.login_view, name="login"),
    path("dang-nhap/ma-xac-thuc/", views.login_totp, name="login_totp"),
    path("xac-thuc-muc-2/", views.step_up, name="step_up"),
    path("dang-xuat/", views.logout_view, name="logout"),
    path("dang-ky/", views.register, name="register"),
    path("dang-ky/xac-nhan/", views.register_confirm, name="register_confirm"),
    path("khoi-phuc/", views.recover, name="recover"),
    path("khoi-phuc/xac-nhan/", views.recover_confirm, name="recover_confirm"),
    path("con/", views.add_child, name="add_child"),
    path("con/<uuid:account_id>/", views.child_record, name="child"),
    path("dong-y/", views.consents, name="consents"),
    path("thu-tuc/", procedures.index, name="procedures"),
    path("thu-tuc/khai-sinh/", procedures.declare_birth, name="declare_birth"),
    path("thu-tuc/khai-tu/", procedures.declare_death, name="declare_death"),
    path("thu-tuc/ho-so/<uuid:case_id>/", procedures.case_detail, name="case"),
    path("thu-tuc/ho-so/<uuid:case_id>/thanh-toan/", procedures.pay, name="pay"),
    path("thu-tuc/ho-so/<uuid:case_id>/<uuid:dossier_id>/bo-sung/", procedures.resubmit, name="resubmit"),
    path("giay-to/", procedures.documents, name="documents"),
    path("giay-to/<uuid:document_id>/pdf/", procedures.document_pdf, name="document_pdf"),
    path("lich-su-truy-cap/", views.access_history, name="access"),
    path("bao-mat/", views.security, name="security"),
    path("bao-mat/thao-tac/", views.security_action, name="security_action"),
    path("passkey/dang-ky/tuy-chon/", views.passkey_register_options, name="passkey_register_options"),
    path("passkey/dang-ky/", views.passkey_register, name="passkey_register"),
    path("passkey/dang-nhap/tuy-chon/", views.passkey_login_options, name="passkey_login_options"),
    path("passkey/dang-nhap/", views.passkey_login, name="passkey_login"),
]
