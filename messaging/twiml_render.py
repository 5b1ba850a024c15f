"""Every TwiML document the gateway answers with is serialised here, so Twilio can
always parse it.

Text comes from the bot, the lender's files, the store and the caller's own speech;
any of it may hold characters XML 1.0 does not allow (NUL and the other C0 controls
but tab, newline and carriage return; U+FFFE, U+FFFF; lone surrogates, which cannot
even be encoded). They mean nothing to a reader or to text-to-speech, so they are
dropped from every text and attribute before the document is written.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Optional

from twilio.twiml import TwiML

# Outside XML 1.0's Char production: https://www.w3.org/TR/xml/#charsets
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


def xml_text(value: Optional[str]) -> Optional[str]:
    """`value` without the characters XML cannot carry."""
    return _NOT_XML.sub("", value) if value else value


def render(document: TwiML) -> str:
    """The document as twilio-python writes it, with every text and attribute cleaned."""
    root = document.xml()
    for element in root.iter():
        element.text, element.tail = xml_text(element.text), xml_text(element.tail)
        for name, value in element.attrib.items():
            element.set(name, xml_text(value))
    return DECLARATION + ET.tostring(root, encoding="unicode")
