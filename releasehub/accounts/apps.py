from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "releasehub.accounts"
    verbose_name = "People and roles"
