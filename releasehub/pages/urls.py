from django.urls import path

from releasehub.pages import views

app_name = "pages"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("releases/<uuid:code>/", views.release, name="release"),
]
