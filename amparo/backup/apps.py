from django.apps import AppConfig


class BackupConfig(AppConfig):
    name = "amparo.backup"
    label = "backup"
