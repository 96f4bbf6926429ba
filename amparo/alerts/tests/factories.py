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
