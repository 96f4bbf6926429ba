"""`amparo deploy nginx`: print the nginx site for this installation (see docs/operations.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from amparo.web.deploy import Site, render


class Command(BaseCommand):
    help = "Print the nginx site for this installation, rendered from deploy/nginx/amparo.conf.template."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        nginx = sub.add_parser("nginx", help="the nginx site (redirect, TLS, static files, private logging)")
        nginx.add_argument("--server-name", required=True, help="the site's host name, e.g. amparo.example.org")
        nginx.add_argument("--upstream", default=Site.upstream, help="where gunicorn listens (default: %(default)s)")
        nginx.add_argument("--https-listen", default=Site.https_listen)
        nginx.add_argument("--http-listen", default=Site.http_listen)
        nginx.add_argument("--certificate", default="", help="default: Let's Encrypt's fullchain.pem for the host")
        nginx.add_argument("--certificate-key", default="", help="default: Let's Encrypt's privkey.pem for the host")
        nginx.add_argument("--static-root", default="", help="where collectstatic wrote (default: AMPARO_DATA_DIR/static)")
        nginx.add_argument("--access-log", default=Site.access_log)
        nginx.add_argument("--error-log", default=Site.error_log)

    def handle(self, *args: Any, **o: Any) -> None:
        site = Site(
            server_name=o["server_name"], upstream=o["upstream"], https_listen=o["https_listen"],
            http_listen=o["http_listen"], certificate=o["certificate"], certificate_key=o["certificate_key"],
            static_root=o["static_root"], access_log=o["access_log"], error_log=o["error_log"],
        )
        self.stdout.write(render(site), ending="")
