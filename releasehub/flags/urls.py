from django.urls import path

from releasehub.flags import views

app_name = "flags"
urlpatterns = [
    path("flags/", views.flag_list, name="list"),
    path("flags/<slug:key>/", views.flag_detail, name="detail"),
    path("flags/<slug:key>/toggle/", views.flag_toggle, name="toggle"),
    path("releases/<uuid:code>/flag-inventory/", views.flags_for_release, name="for_release"),
]
