from django.urls import include, path

from releasehub.api import views
from releasehub.api.v1 import api

# The token pages (signed in, session): a person's own tokens, staff's integration tokens.
token_pages = [
    path("account/tokens/", views.personal, name="personal"),
    path("account/tokens/new/", views.personal_create, name="personal_create"),
    path("integrations/tokens/", views.integrations, name="integrations"),
    path("integrations/tokens/new/", views.integration_create, name="integration_create"),
    path("tokens/<uuid:code>/revoke/", views.revoke, name="revoke"),
]

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include((token_pages, "tokens"))),
]
