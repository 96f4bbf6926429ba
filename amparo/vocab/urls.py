from __future__ import annotations

from django.urls import path

from amparo.vocab import views

app_name = "vocab"

urlpatterns = [
    path("", views.vocabulary_list, name="list"),
    path("anadir/", views.term_add_view, name="term_add"),
    path("<int:term_id>/", views.term_edit, name="term_edit"),
    path("<int:term_id>/estado/", views.term_toggle, name="term_toggle"),
]
