from __future__ import annotations

from django.urls import path

from amparo.places import views

app_name = "places"

urlpatterns = [path("distritos/", views.district_search_view, name="district_search")]
