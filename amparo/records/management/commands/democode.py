"""`amparo democode USERNAME`: the current two-factor code of a demo account, for trying the demo without a phone."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from amparo.accounts.models import User
from amparo.records.management.commands.demo import (
    DEMO_DEVICE_NAME,
    demo_totp_key_hex,
    refuse_in_production,
)


class Command(BaseCommand):
    help = (
        "Print the current two-factor (TOTP) code of a DEMO account created by `amparo demo`. "
        "It refuses every other account: only devices the demo created (named 'demo', holding the public demo "
        "secret) are read. Real accounts keep their codes on their owner's phone. Refuses to run in production mode."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **o: Any) -> None:
        refuse_in_production()
        user = User.objects.filter(username=o["username"]).first()
        if user is None:
            raise CommandError(f"No user named {o['username']!r}.")
        # Both the name and the public demo secret must match: a real device someone happened
        # to call "demo" still holds its own secret, and its codes are never printed.
        device = TOTPDevice.objects.filter(user=user, name=DEMO_DEVICE_NAME, key=demo_totp_key_hex(), confirmed=True).first()
        if device is None:
            raise CommandError(f"{user.username} is not a demo account (its two-factor device was not created by `amparo demo`). Refusing.")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        now = time.time()
        totp.time = now
        seconds_left = int(device.step - (now - device.t0) % device.step)
        self.stdout.write(f"{totp.token():0{device.digits}d}")
        if o["verbosity"] > 0:
            self.stderr.write(f"(valid for about {seconds_left} more seconds)")
