"""Menu words typed as text: "菜单", "返回菜单", or a section's label ("报名条件", "联系方式").

Applicants type what they see on the buttons. Such a text is a request for that page, not a
question: the chat handler shows the page instead of a Q&A answer (handlers/qa.py).
"""

from __future__ import annotations

from content.normalise import normalise
from content.schema import Campaign
from content.sections import menu_sections, section_title
from content.texts import Texts

MAIN_MENU = ""


def _folded(text: str) -> str:
    # Same folding on both sides (full-width, traditional, synonyms); « and ？ of labels go.
    return normalise(text, atomic=False).replace(" ", "")


def typed_menu(text: str, campaign: Campaign, texts: Texts) -> str | None:
    """MAIN_MENU for a menu word, a section key for a section label, else None."""
    typed = _folded(text)
    if not typed:
        return None
    if typed in {_folded(word) for word in texts("qa.menu_words").split()}:
        return MAIN_MENU
    keys = menu_sections(campaign)
    return next((key for key in keys
                 if _folded(section_title(campaign, key, texts)) == typed), None)
