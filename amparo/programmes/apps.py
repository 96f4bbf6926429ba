from django.apps import AppConfig


class ProgrammesConfig(AppConfig):
    name = "amparo.programmes"
    label = "programmes"

    def ready(self) -> None:
        # The activity page's own sections (others register theirs in their apps' ready()).
        from amparo.programmes import milestone_panels, people_panels  # noqa: F401
