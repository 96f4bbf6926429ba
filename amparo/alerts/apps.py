from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "amparo.alerts"
    label = "alerts"

    def ready(self) -> None:
        from amparo.accounts import cutoff
        from amparo.alerts.services import staff_devices_release

        cutoff.register(cutoff.Access(
            name="alarm_browsers", label=_("browsers receiving alarms"), release=staff_devices_release, on_lockdown=True,
        ))

        from amparo.alerts.panels import incident_detentions_panel
        from amparo.records.panels import register

        register(incident_detentions_panel)
