"""Codes of the creatives' world in plain words: a call to action, who described an image.

The rows keep the codes they came with (Meta's LEARN_MORE, the describer backend "heuristic"),
so nothing is lost and filters still match; pages and the admin show these words instead, in the
page's language. A code no one listed yet is shown as it came rather than guessed at: a
LinkedIn or Google call to action is often already free text in the ad's language.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# Meta's call-to-action types (the ones seen in ads of this kind), as the button reads.
_CALLS_TO_ACTION = {
    "LEARN_MORE": _("Learn more"),
    "SHOP_NOW": _("Shop now"),
    "BUY_NOW": _("Buy now"),
    "ORDER_NOW": _("Order now"),
    "SIGN_UP": _("Sign up"),
    "SUBSCRIBE": _("Subscribe"),
    "APPLY_NOW": _("Apply now"),
    "DOWNLOAD": _("Download"),
    "INSTALL_MOBILE_APP": _("Install the app"),
    "USE_APP": _("Use the app"),
    "OPEN_LINK": _("Open the link"),
    "CONTACT_US": _("Contact us"),
    "SEND_MESSAGE": _("Send a message"),
    "WHATSAPP_MESSAGE": _("Send a WhatsApp message"),
    "CALL_NOW": _("Call now"),
    "GET_OFFER": _("Get the offer"),
    "GET_QUOTE": _("Get a quote"),
    "BOOK_TRAVEL": _("Book now"),
    "WATCH_MORE": _("Watch more"),
    "SEE_MORE": _("See more"),
    "NO_BUTTON": _("No button"),
}

# Describer backends (generation.backends.runtime), as a marketer would name what wrote the
# description: the rules that read colours and shapes, or an image model.
_DESCRIBERS = {
    "heuristic": _("Basic automatic description"),
    "interrogator": _("Description by an image model"),
    "clip-interrogator": _("Description by an image model"),
}


def call_to_action_label(code: str) -> str:
    """The button's words for a call-to-action code; free text is returned as it is."""
    label = _CALLS_TO_ACTION.get((code or "").strip().upper())
    return str(label) if label is not None else code


def describer_label(backend: str) -> str:
    """What wrote a description, in words; a backend not listed is "Automatic description"."""
    return str(_DESCRIBERS.get(backend, _("Automatic description")))
