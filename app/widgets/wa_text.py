"""WhatsApp's inline formatting as Qt rich text, from the core's one formatter.

The composer, the editor and the CLI all go through ``easymo_core.templates.formatting``
so a preview never disagrees with what the checks think the text says.
"""

from __future__ import annotations

from easymo_core.templates.formatting import to_html as _core_to_html


def to_html(text: str) -> str:
    """``text`` with *bold* _italic_ ~strike~ ```mono``` as HTML; user text is escaped."""
    return _core_to_html(text)
