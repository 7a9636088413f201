from django.urls import path

from . import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="mechanic_dashboard"),
    path("banner/", views.banner, name="mechanic_banner"),
    path("requests/<int:assignment_id>/", views.request_details, name="mechanic_request_details"),
    path("tip/dismiss/", views.dismiss_tip, name="mechanic_dismiss_tip"),
    path("settings/", views.mechanic_settings, name="mechanic_settings"),
    path("upcoming/", views.upcoming, name="mechanic_upcoming"),  # issue 14 (tz)
    path("settings/expertise/", views.mechanic_expertise, name="mechanic_expertise"),  # route
    path("dashboard/pulse/", views.dashboard_pulse, name="mechanic_dashboard_pulse"),
    path("dashboard/panels/<slug:panel>/", views.dashboard_panel, name="mechanic_dashboard_panel"),
    path("availability/", views.set_availability, name="mechanic_set_availability"),
    path("force-end-all/", views.force_end_all, name="mechanic_force_end_all"),
    path("assignments/<int:assignment_id>/accept/", views.accept_assignment, name="mechanic_accept"),
    path("sessions/<int:session_id>/start/", views.start_session, name="mechanic_start"),
    path("sessions/<int:session_id>/release/", views.release_session, name="mechanic_release"),
    path("sessions/<int:session_id>/complete/", views.complete_session, name="mechanic_complete"),
    path("sessions/<int:session_id>/intake/", views.session_intake, name="mechanic_session_intake"),
    # issue 14: transfers to a colleague
    path("sessions/<int:session_id>/transfer/", views.offer_transfer, name="mechanic_transfer_offer"),
    path("transfers/<int:transfer_id>/accept/", views.accept_transfer, name="mechanic_transfer_accept"),
    path("transfers/<int:transfer_id>/decline/", views.decline_transfer, name="mechanic_transfer_decline"),
    path("transfers/<int:transfer_id>/withdraw/", views.withdraw_transfer, name="mechanic_transfer_withdraw"),
]
