"""Document packets: a frozen context built from an application, HTML from Jinja2 templates,
PDF from WeasyPrint, stored by content hash.

Contract: may import ``workflow``'s read-only types; never imported by ``workflow``. The packet
pipeline arrives with the document-packet work; until then this package exports nothing.
"""

__all__: list[str] = []
