from django.apps import AppConfig


class ProceduresConfig(AppConfig):
    """Online public services ("dịch vụ công"): the procedure catalogue, dossiers, linked groups, results, payments.

    The app was called ``services`` (label ``services``) until issue 14; its first migration adopts such a database."""

    name = "dancu.procedures"
    label = "procedures"
    verbose_name = "Online public services"
