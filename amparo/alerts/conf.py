"""Settings of the alerts app, read from the environment (documented in docs/alerts.md)."""

from __future__ import annotations

from django.conf import settings

from amparo.lib.env import envbool, envint, envsecret, envstr


def escalation_minutes_default() -> int:
    return envint("AMPARO_ALARM_ESCALATION_MINUTES", 10)


def alert_max_days() -> int:
    # Alerts about third parties are personal data: none may be kept longer than this.
    return envint("AMPARO_ALERT_MAX_DAYS", 90)


def allow_loopback() -> bool:
    """Let webhooks and push reach 127.0.0.1. Only for tests and the bench; never in production."""
    return getattr(settings, "AMPARO_ALERTS_ALLOW_LOOPBACK", envbool("AMPARO_ALERTS_ALLOW_LOOPBACK", False))


def vapid_private_key() -> str:
    key = getattr(settings, "AMPARO_VAPID_PRIVATE_KEY", "") or envsecret("AMPARO_VAPID_PRIVATE_KEY")
    if key:
        return key
    if getattr(settings, "PRODUCTION", False):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("AMPARO_VAPID_PRIVATE_KEY is required in production for Web Push.")
    # Development: one key kept in the data directory, like the development secret key.
    from amparo.alerts.channels.webpush import generate_vapid_key

    path = settings.DATA_DIR / "vapid_private_key"
    if not path.exists():
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(generate_vapid_key())
        path.chmod(0o600)
    return path.read_text().strip()


def vapid_subject() -> str:
    return envstr("AMPARO_VAPID_SUBJECT", f"mailto:{settings.DEFAULT_FROM_EMAIL}")


def smtp_settings():
    from amparo.alerts.channels.email import SmtpSettings

    return SmtpSettings(
        host=settings.EMAIL_HOST,
        port=settings.EMAIL_PORT,
        username=settings.EMAIL_HOST_USER,
        password=settings.EMAIL_HOST_PASSWORD,
        use_tls=settings.EMAIL_USE_TLS,
        timeout=settings.EMAIL_TIMEOUT,
        from_address=settings.DEFAULT_FROM_EMAIL,
    )


def delivery_batch_size() -> int:
    return envint("AMPARO_ALERT_BATCH_SIZE", 200)


def webhook_attempts() -> int:
    return envint("AMPARO_WEBHOOK_ATTEMPTS", 4)


def webhook_backoff() -> float:
    return float(getattr(settings, "AMPARO_WEBHOOK_BACKOFF", envint("AMPARO_WEBHOOK_BACKOFF_SECONDS", 2)))
