from django.urls import path

from releasehub.pages import release_views, views

app_name = "pages"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("releases/<uuid:code>/", release_views.release, name="release"),
    path("releases/<uuid:code>/stages/<slug:stage>/", release_views.release_stage, name="stage"),
    path("releases/<uuid:code>/timeline/", release_views.release_timeline, name="timeline"),
]
