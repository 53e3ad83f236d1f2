from django.urls import path

from releasehub.feeds import views

app_name = "feeds"
urlpatterns = [
    path("feeds/", views.manage, name="manage"),
    path("feeds/new/", views.create, name="create"),
    path("feeds/revoke/", views.revoke, name="revoke"),
    path("feeds/<str:secret>/train.ics", views.train, name="train"),
    path("feeds/<str:secret>/mine.ics", views.mine, name="mine"),
]
