"""The Slack adapter's names in the engine's tables (outbox subscriber, conversation adapter).

Apart from slack_delivery.py so that the composition root can wire the subscribers without
importing the Slack client (slack_sdk, aiohttp): the CLI's offline commands never post.
"""

SLACK_CONSUMER = "slack"
