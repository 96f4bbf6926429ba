from __future__ import annotations

from datetime import time

from amparo.alerts import services
from amparo.alerts.models import AlarmKind, AlarmSource

ALL_DAYS = "0123456"


def on_call(personas, user, *, level: int = 0, days: str = ALL_DAYS, start=time(0), end=time(0)):  # type: ignore[no-untyped-def]
    """Put ``user`` on call (24 h on ``days`` by default) through the real service."""
    return services.shift_create(
        membership=personas.membership(personas.alicia),
        on_call=personas.membership(user),
        weekdays=days,
        start=start,
        end=end,
        level=level,
    )


def raise_alarm(personas, user=None, **fields):  # type: ignore[no-untyped-def]
    user = user or personas.dora
    values = {
        "kind": AlarmKind.RAID,
        "source": AlarmSource.BUTTON,
        "district": "150101",
        "place": "Discoteca La Luna, Jr. Ica 300",
        "police_station": "Comisaría de Monserrate",
        "description": "Llegaron 10 policías, se llevan a todas",
        "people_count": 6,
    }
    values.update(fields)
    return services.alarm_raise(
        organisation=personas.org, acting_user=user, membership=personas.membership(user), **values
    )


def propose_alert(personas, user=None, **fields):  # type: ignore[no-untyped-def]
    from amparo.alerts.models import AlertKind

    user = user or personas.dora
    values = {
        "kind": AlertKind.BAD_DATE,
        "region": "15",
        "report": "Mariposa fue golpeada por un cliente en un hostal de Lince; le robó el celular.",
        "perpetrator_description": "Hombre de unos 40 años, tatuaje en el cuello",
        "vehicle": "Toyota Yaris rojo",
        "area": "Lince, Av. Arequipa",
        "phone": "+51 987 111 222",
        "plate": "ABC-123",
    }
    values.update(fields)
    return services.alert_create(membership=personas.membership(user), **values)


def publish(personas, alert, user=None, **fields):  # type: ignore[no-untyped-def]
    from amparo.alerts.models import LegalBasis

    user = user or personas.carla
    values = {
        "title": "Cliente violento en Lince",
        "public_text": "Un cliente agredió a una compañera. Si te contacta, no vayas sola.",
        "legal_basis": LegalBasis.VITAL_INTEREST,
        "legal_reason": "Riesgo de nuevas agresiones a trabajadoras sexuales de la zona.",
    }
    values.update(fields)
    return services.alert_publish(alert=alert, membership=personas.membership(user), **values)


def subscribe(personas, channel, address, regions=("15",)):  # type: ignore[no-untyped-def]
    outcome = services.subscriber_subscribe(
        organisation=personas.org, channel=channel, address=address, region_codes=list(regions)
    )
    if outcome.needs_confirmation:
        services.subscriber_confirm(token=services.subscriber_token(outcome.subscriber, purpose="confirm"))
    outcome.subscriber.refresh_from_db()
    return outcome.subscriber
