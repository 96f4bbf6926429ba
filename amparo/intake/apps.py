from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "amparo.intake"
    label = "intake"

    def ready(self) -> None:
        from amparo.intake.panels import incident_reports_panel
        from amparo.records.panels import register

        register(incident_reports_panel)
