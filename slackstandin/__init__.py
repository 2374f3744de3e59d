"""A local Slack stand-in: the Web API, upload URLs, response_urls and Socket Mode on 127.0.0.1.

It is part of the product (the sandbox chat page runs on it) and imports nothing of the bot.

- `SlackStandIn`: the server; it records every call and can fail on demand.
- `payloads`: slash commands, interactions and events, built field for field like Slack's.
- `signing`: sign and POST them to an app like Slack does.
"""

from .payloads import (
    app_home_opened_event,
    block_action_body,
    block_action_payload,
    event_callback_body,
    event_callback_payload,
    interaction_body,
    plain_text_value,
    slash_command_body,
    slash_command_payload,
    static_select_value,
    view_submission_body,
    view_submission_payload,
)
from .records import (
    Call,
    Channel,
    Ephemeral,
    Message,
    ResponsePost,
    StandInError,
    UploadedFile,
)
from .server import DEFAULT_APP_TOKEN, DEFAULT_BOT_TOKEN, RESPONSE_URL, UPLOAD, SlackStandIn
from .signing import (
    DEFAULT_APP_ID,
    DEFAULT_BOT_ID,
    DEFAULT_BOT_USER_ID,
    DEFAULT_TEAM_ID,
    FORM,
    NO_RESPONSE_URL,
    SignedResponse,
    dm_channel_id,
    post_signed,
    sign,
)
from .socket_mode import SocketModeHub

__all__ = [
    "DEFAULT_APP_ID",
    "DEFAULT_APP_TOKEN",
    "DEFAULT_BOT_ID",
    "DEFAULT_BOT_TOKEN",
    "DEFAULT_BOT_USER_ID",
    "DEFAULT_TEAM_ID",
    "FORM",
    "NO_RESPONSE_URL",
    "RESPONSE_URL",
    "UPLOAD",
    "Call",
    "Channel",
    "Ephemeral",
    "Message",
    "ResponsePost",
    "SignedResponse",
    "SlackStandIn",
    "SocketModeHub",
    "StandInError",
    "UploadedFile",
    "app_home_opened_event",
    "block_action_body",
    "block_action_payload",
    "dm_channel_id",
    "event_callback_body",
    "event_callback_payload",
    "interaction_body",
    "plain_text_value",
    "post_signed",
    "sign",
    "slash_command_body",
    "slash_command_payload",
    "static_select_value",
    "view_submission_body",
    "view_submission_payload",
]
