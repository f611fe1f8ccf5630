from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    """Online public services ("dịch vụ công"): the procedure catalogue, dossiers, linked groups, results, payments.

    The app was called ``services`` (label ``services``) until issue 14; its first migration adopts such a database."""

    name = "dancu.procedures"
    label = "procedures"
    verbose_name = _("Online public services")

    def ready(self) -> None:
        from dancu.procedures import payments
        from dancu.procedures.linked import birth

        payments.payment_settled.connect(birth.on_payment_settled, dispatch_uid="procedures.linked.birth")
