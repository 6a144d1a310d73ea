"""Streaming writer for ISO 20022 documents: elements of one namespace, written one at a time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import IO, Any

from lxml import etree

from funds.domain.iso20022.text import iso_datetime


class Writer:
    """Builds elements in the namespace ``ns`` for ``lxml.etree.xmlfile`` (which escapes all text)."""

    def __init__(self, ns: str) -> None:
        self.ns = ns

    def q(self, tag: str) -> str:
        """The qualified name of ``tag``."""
        return f"{{{self.ns}}}{tag}"

    def element(self, tag: str) -> etree._Element:
        """A detached element, to be filled and then written whole."""
        return etree.Element(self.q(tag), nsmap={None: self.ns})

    def sub(self, parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
        """A child of ``parent`` with optional text."""
        child = etree.SubElement(parent, self.q(tag))
        if text is not None:
            child.text = text
        return child

    def group_header(self, msg_id: str, created_at: datetime) -> etree._Element:
        """``<GrpHdr><MsgId/><CreDtTm/></GrpHdr>``, to which a message may add more."""
        header = self.element("GrpHdr")
        self.sub(header, "MsgId", msg_id)
        self.sub(header, "CreDtTm", iso_datetime(created_at))
        return header

    @staticmethod
    def write_children(xf: Any, container: etree._Element) -> None:
        """Write the children of a scratch ``container`` (not the container itself)."""
        for child in container:
            xf.write(child)

    @contextmanager
    def document(self, out: IO[bytes], message: str) -> Iterator[Any]:
        """Open ``<Document><message>``; yields the xmlfile to write the message's parts into."""
        with etree.xmlfile(out, encoding="UTF-8") as xf:
            xf.write_declaration()
            with xf.element(self.q("Document"), nsmap={None: self.ns}), xf.element(self.q(message)):
                yield xf
