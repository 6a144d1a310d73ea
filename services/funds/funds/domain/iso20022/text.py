"""Shared helpers for ISO 20022 documents: XML-safe text, amounts, timestamps, hardened parsing."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from lxml import etree

from jzkit.errors import InvalidInput

# Characters XML 1.0 cannot carry at all (controls other than tab/newline/return, lone surrogates,
# U+FFFE/U+FFFF): a hostile name must not make the bank file unparseable.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: str, max_length: int) -> str:
    """``value`` with XML-illegal characters replaced and cut to ``max_length`` characters."""
    cleaned = _NOT_XML.sub("?", value).strip()
    return cleaned[:max_length] or "?"


def iso_datetime(moment: datetime) -> str:
    """A UTC ISO 8601 timestamp with seconds and ``Z`` (xs:dateTime)."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parser() -> etree.XMLParser:
    # No DTDs, no entity expansion, no network, no huge trees: XXE and billion laughs both fail.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def malformed(element: str, reason: str) -> InvalidInput:
    """The error for a document the bank sent that we cannot accept, naming the element."""
    return InvalidInput(
        "malformed-bank-report",
        f"bank report rejected at {element}: {reason}",
        f"银行报文无效({element}):{reason}",
        field=element,
    )


def parse_safely(xml: bytes, root_prefix: str) -> etree._Element:
    """Parse a bank document; refuse DTDs, entities and a root outside ``root_prefix`` namespaces."""
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
        raise malformed("DOCTYPE", "document type declarations are not accepted")
    try:
        root = etree.fromstring(xml, _parser())
    except etree.XMLSyntaxError as exc:
        raise malformed("Document", f"not well-formed XML ({exc.msg})") from None
    if root.getroottree().docinfo.doctype:
        raise malformed("DOCTYPE", "document type declarations are not accepted")
    namespace = etree.QName(root).namespace or ""
    if etree.QName(root).localname != "Document" or not namespace.startswith(root_prefix):
        raise malformed("Document", f"expected a {root_prefix}* Document")
    return root


class Reader:
    """Namespace-bound lookups that refuse a missing required element by name."""

    def __init__(self, root: etree._Element) -> None:
        self.ns = etree.QName(root).namespace or ""

    def all(self, parent: etree._Element, path: str) -> list[etree._Element]:
        """Every element at ``path`` (slash-separated local names) under ``parent``."""
        qualified = "/".join(f"{{{self.ns}}}{part}" for part in path.split("/"))
        return list(parent.iterfind(qualified))

    def first(self, parent: etree._Element, path: str) -> etree._Element | None:
        """The first element at ``path``, or None."""
        found = self.all(parent, path)
        return found[0] if found else None

    def opt(self, parent: etree._Element, path: str) -> str | None:
        """The stripped text at ``path``, or None when absent or empty."""
        element = self.first(parent, path)
        value = (element.text or "").strip() if element is not None else ""
        return value or None

    def text(self, parent: etree._Element, path: str) -> str:
        """The stripped text at ``path``; refused when missing or empty."""
        value = self.opt(parent, path)
        if value is None:
            raise malformed(path.rsplit("/", 1)[-1], "missing or empty")
        return value

    def required(self, parent: etree._Element, path: str) -> etree._Element:
        """The element at ``path``; refused when absent."""
        element = self.first(parent, path)
        if element is None:
            raise malformed(path.rsplit("/", 1)[-1], "missing")
        return element
