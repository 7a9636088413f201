from django.urls import path

from . import views

urlpatterns = [
    path("sessions/<int:session_id>/diagnosis/", views.toolkit, name="diagnostics_toolkit"),
    path("sessions/<int:session_id>/diagnosis/codes/", views.code_add, name="diagnostics_code_add"),
    path(
        "sessions/<int:session_id>/diagnosis/codes/<int:code_id>/",
        views.code_update,
        name="diagnostics_code_update",
    ),
    path(
        "sessions/<int:session_id>/diagnosis/codes/<int:code_id>/remove/",
        views.code_remove,
        name="diagnostics_code_remove",
    ),
    path("sessions/<int:session_id>/diagnosis/findings/", views.finding_add, name="diagnostics_finding_add"),
    path(
        "sessions/<int:session_id>/diagnosis/findings/<int:finding_id>/",
        views.finding_update,
        name="diagnostics_finding_update",
    ),
    path(
        "sessions/<int:session_id>/diagnosis/findings/<int:finding_id>/remove/",
        views.finding_remove,
        name="diagnostics_finding_remove",
    ),
    path("sessions/<int:session_id>/diagnosis/checklist/", views.checklist_set, name="diagnostics_checklist"),
    # The report: the mechanics' old address is kept; the customer's links use the neutral one.
    path("mechanic/sessions/<int:session_id>/report/", views.report, name="mechanic_session_report"),
    path("sessions/<int:session_id>/report/", views.report, name="session_report"),
    path("sessions/<int:session_id>/report.pdf", views.report_download, name="session_report_pdf"),
]
