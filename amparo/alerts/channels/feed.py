"""Atom feeds (RFC 4287), one per region: readers poll, nothing is pushed.

``send`` exists so the feed has the same shape as the other channels: an alert is "delivered"
to a feed when it becomes part of what the feed renders, which the caller decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from xml.etree import ElementTree as ET

from amparo.alerts.channels import DeliveryResult
from amparo.lib.inputs import text_safe_for_xml

ATOM_NS = "http://www.w3.org/2005/Atom"


@dataclass(frozen=True)
class FeedEntry:
    id: str
    title: str
    summary: str
    updated: datetime
    published: datetime
    link: str = ""
    category: str = ""


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("feed timestamps must be timezone-aware")
    return moment.isoformat(timespec="seconds")


def build_feed(
    *,
    feed_id: str,
    title: str,
    self_url: str,
    alternate_url: str,
    updated: datetime,
    entries: list[FeedEntry],
    author: str,
    language: str = "es",
) -> bytes:
    ET.register_namespace("", ATOM_NS)
    root = ET.Element(
        f"{{{ATOM_NS}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": language}
    )

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        # Text checked on the way in may still predate the rule: XML 1.0 has no place for
        # control characters, and one of them would make the whole feed unreadable.
        text = text_safe_for_xml(text) if text is not None else None
        attrs = {k: text_safe_for_xml(v) for k, v in attrs.items()}
        element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    sub(root, "id", feed_id)
    sub(root, "title", title)
    sub(root, "updated", _iso(updated))
    sub(sub(root, "author"), "name", author)
    sub(root, "link", rel="self", type="application/atom+xml", href=self_url)
    sub(root, "link", rel="alternate", type="text/html", href=alternate_url)
    for entry in entries:
        node = sub(root, "entry")
        sub(node, "id", entry.id)
        sub(node, "title", entry.title)
        sub(node, "updated", _iso(entry.updated))
        sub(node, "published", _iso(entry.published))
        sub(node, "summary", entry.summary, type="text")
        if entry.link:
            sub(node, "link", rel="alternate", type="text/html", href=entry.link)
        if entry.category:
            sub(node, "category", term=entry.category)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def send(*, entry: FeedEntry) -> DeliveryResult:
    if entry.updated.tzinfo is None:
        return DeliveryResult.failed("entry timestamp is not timezone-aware", permanent=True)
    return DeliveryResult.sent()
