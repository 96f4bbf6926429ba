from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """The report that leaves the organisation: documentation, responses, programmes and
    milestones together. An app of its own because it sits above both `insights` and
    `programmes` and imports each of them; neither of them imports it."""

    name = "amparo.reports"
    label = "reports"
