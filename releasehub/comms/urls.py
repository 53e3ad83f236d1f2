from django.urls import path

from releasehub.comms import views

app_name = "comms"
urlpatterns = [
    path("releases/<uuid:code>/communications/", views.release_comms, name="release"),
    path("releases/<uuid:code>/communications/compose/", views.compose, name="compose"),
    path("releases/<uuid:code>/communications/preview/", views.preview, name="preview"),
    path("releases/<uuid:code>/communications/send/", views.send, name="send"),
    path("releases/<uuid:code>/changelog/", views.changelog_entry, name="changelog_entry"),
    path(
        "releases/<uuid:code>/changelog.md",
        views.changelog_entry_download,
        name="changelog_entry_download",
    ),
    path("changelog/", views.changelog_page, name="changelog"),
    path("changelog.md", views.changelog_download, name="changelog_download"),
    path("communications/templates/", views.template_list, name="templates"),
    path("communications/templates/<str:kind>/", views.template_edit, name="template_edit"),
    path("communications/templates/<str:kind>/save/", views.template_save, name="template_save"),
]
