"""The sandbox chat page: a browser front for the Slack stand-in (`ChatPage`).

Plain HTML, CSS and JavaScript in ``static/`` (package data; no build step, nothing fetched
from the internet). It imports nothing of any app.
"""

from .chat_page import ChatPage, Person

__all__ = ["ChatPage", "Person"]
