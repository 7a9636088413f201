from django.urls import path

from . import views

urlpatterns = [
    path("", views.earnings_statement, name="mechanic_earnings"),
    path("card/", views.earnings_card, name="mechanic_earnings_card"),
    path("<int:year>-<int:month>.csv", views.earnings_csv, name="mechanic_earnings_csv"),
]
