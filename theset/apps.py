from django.apps import AppConfig


class ThesetConfig(AppConfig):
    name = "theset"
    verbose_name = "TheSet"
