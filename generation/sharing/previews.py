"""Link-preview agents: the robots that fetch a share link to draw its card in a chat.

A link pasted in Slack, WhatsApp, Teams or iMessage is fetched at once by the app's preview
robot; that fetch is not the agency looking at the brief, so it is served but not counted as a
view. This is the one list of them: each entry is a piece of the User-Agent header, matched
without regard to case.
"""

from __future__ import annotations

PREVIEW_AGENTS: tuple[str, ...] = (
    "Slackbot",  # Slackbot-LinkExpanding, Slack-ImgProxy's Slackbot
    "Slack-ImgProxy",
    "facebookexternalhit",  # Facebook, Messenger, Instagram, and iMessage's preview fetch
    "Facebot",
    "WhatsApp",
    "TelegramBot",
    "Twitterbot",
    "LinkedInBot",
    "Discordbot",
    "Google-PageRenderer",  # Google Chat, Docs
    "Googlebot",
    "SkypeUriPreview",  # Microsoft Teams, Skype
    "MicrosoftPreview",  # Outlook, Teams
    "Applebot",
    "redditbot",
    "Pinterestbot",
    "Embedly",
    "Iframely",
    "vkShare",
    "Mattermost",
    "Zoom",  # Zoom chat's link unfurl ("Zoom Webhook"/"ZoomBot")
)
_LOWERED = tuple(agent.lower() for agent in PREVIEW_AGENTS)


def is_link_preview(user_agent: str) -> bool:
    """Whether the User-Agent is a known link-preview robot."""
    lowered = (user_agent or "").lower()
    return any(agent in lowered for agent in _LOWERED)
