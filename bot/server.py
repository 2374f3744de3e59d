"""`invoicebot serve`: the Slack app (HTTP or Socket Mode), health check and workers.

This is the composition root of the running service: settings in, everything wired here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import aiohttp
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from billing_core.errors import ConfigError
from billing_core.store.engine import new_async_engine, new_sessionmaker
from billing_core.store.unit_of_work import Store
from billing_core.usecases import Billing
from billing_core.usecases import documents as documents_case
from billing_core.usecases.groups import GroupCache
from billing_core.usecases.worker import OutboxWorker
from bot.api import add_api_routes
from bot.bootstrap import SUBSCRIBERS, Container, build
from bot.clock import utc_now
from bot.loop_monitor import LoopMonitor, freeze_startup_heap
from bot.loop_thread import LoopThread, switch_threads_often
from bot.settings import Settings, StartFailed
from bot.slack_http import slack_events_handler
from handlers import actions, commands, home, reminders
from handlers.context import HandlerContext, PrivateReply
from handlers.reminders import SlackReminderSender
from handlers.slack_delivery import SlackDelivery
from handlers.slack_errors import slack_error
from handlers.slack_groups import SlackGroupDirectory
from scheduler.jobs import Job, build_scheduler

log = logging.getLogger("invoicebot")

SLACK_TIMEOUT_S = 15  # per Web API call


class SdkLogger(logging.LoggerAdapter[logging.Logger]):
    """slack_sdk's Web API logger, with `level` the level in effect.

    slack_sdk 3 decides whether to format its debug lines by reading `logger.level <= DEBUG`
    (slack_sdk/web/async_internal_utils.py), not `isEnabledFor`, and its logger's own level
    is NOTSET (0): every call formatted its whole request (a reminder DM's 49 blocks) and
    response into strings nobody logged, 11 % of the reminder run's CPU at 100,000 invoices
    (py-spy, bench/reminders.py). With `level` the effective level, they are formatted only
    when debug logging is on for slack_sdk, as before."""

    def __init__(self) -> None:
        super().__init__(logging.getLogger("slack_sdk.web.async_base_client"))

    @property
    def level(self) -> int:
        return self.logger.getEffectiveLevel()


def slack_client(
    settings: Settings,
    token: str | None = None,
    *,
    posting: bool = False,
    session: aiohttp.ClientSession | None = None,
) -> AsyncWebClient:
    """A Web API client that retries 429 (honouring Retry-After), 5xx and connection errors.

    `session`: a shared aiohttp session (see `reminder_session`), for a client that makes many
    calls; without one slack_sdk builds a session and a connection (against Slack, a TLS
    handshake) per call. With one, the session's own timeout applies, not `timeout`.

    `posting=True` is the outbox's client: it retries only 429s (Slack did nothing). After a
    5xx or a lost connection Slack may have posted; the outbox looks that up before it tries
    again (handlers.slack_posting), where an automatic retry here would post twice."""
    retries: list[Any] = [AsyncRateLimitErrorRetryHandler(max_retry_count=3)]
    if not posting:
        retries += [
            AsyncServerErrorRetryHandler(max_retry_count=2),
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
        ]
    return AsyncWebClient(
        token=token or settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=SLACK_TIMEOUT_S,
        retry_handlers=retries,
        session=session,
        logger=cast(logging.Logger, SdkLogger()),  # it has what slack_sdk calls
    )


def reminder_session() -> aiohttp.ClientSession:
    """The connection pool of the reminder run's client (a run at 100,000 invoices makes
    5,495 calls; at 10,000 invoices one session took it from 6.9 to 5.3 s: bench/reminders.py).
    Only that client gets one: Bolt deep-copies a listener's context, and a session cannot be
    copied."""
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=SLACK_TIMEOUT_S))


class JobRunner:
    """Runs the scheduled jobs (scheduler.jobs) on a loop of their own (bot.loop_thread), with
    a store engine, billing and reminder Slack client made and closed on that loop. The serve
    loop acks Slack; the reminder run at 100,000 invoices is ~23 s of CPU in small steps,
    whose worst held every ack 209–242 ms while they shared a loop (bench/reminders.py).

    `billing`, `sender`: what the jobs run with (usable only on that loop; set by `start`).
    On SQLite the jobs' engine and the service's contend for the write lock as two replicas
    would (each waits up to the busy timeout)."""

    billing: Billing
    sender: SlackReminderSender

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.thread = LoopThread("invoicebot-jobs")

    async def start(self) -> None:
        switch_threads_often()  # the serve loop then waits for the jobs' threads less
        self.thread.start()
        await self.thread.run(self._open())

    async def __call__(self, job: Job, now: datetime) -> bool:
        return await self.thread.run(job(self.billing, self.sender, now))

    async def stop(self) -> None:
        """Cancel jobs still running there, wait for them, close what they used."""
        await self.thread.stop(cleanup=self.close())

    async def _open(self) -> None:
        settings = self.settings
        self.engine = new_async_engine(settings.database_url)
        store = Store(new_sessionmaker(self.engine))
        self.billing = Billing(store, settings.policy, subscribers=SUBSCRIBERS)
        self.billing.engine.groups = GroupCache(SlackGroupDirectory(slack_client(settings)))
        self.http = reminder_session()
        client = slack_client(settings, session=self.http)
        self.sender = SlackReminderSender(client, settings.policy, store.conversations)

    async def close(self) -> None:
        """On the jobs' loop (`stop` runs it there): close their Slack client and store."""
        await self.http.close()
        await self.engine.dispose()


@dataclass
class Service:
    """A running invoicebot: the Bolt app, its aiohttp web app and background workers."""

    container: Container
    app: AsyncApp
    web_app: web.Application
    context: HandlerContext
    delivery: SlackDelivery
    documents: OutboxWorker
    scheduler: Any = None
    jobs: JobRunner | None = None  # what the scheduler runs its jobs with; stopped here
    monitor: LoopMonitor = field(default_factory=LoopMonitor)
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    async def start_workers(self) -> None:
        """The outbox workers (documents, Slack) and the scheduler (reminders, nudges,
        digest)."""
        self.monitor.start()
        self.tasks.append(asyncio.create_task(self.documents.run(self.stop_event)))
        self.tasks.append(asyncio.create_task(self.delivery.worker.run(self.stop_event)))
        if self.scheduler is not None:
            self.scheduler.start()

    async def close(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.stop()  # before the stores close under a run in flight
        if self.jobs is not None:
            await self.jobs.stop()
        await self.context.finish_background()
        self.stop_event.set()
        await self.monitor.stop()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.container.close()


async def build_service(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    socket_mode: bool = False,
    render_workers: int = 2,
) -> Service:
    """Wire settings -> store -> billing -> Slack app. Fails with a clear ConfigError."""
    settings.require("SLACK_BOT_TOKEN")
    settings.require("SLACK_APP_TOKEN" if socket_mode else "SLACK_SIGNING_SECRET")
    client = slack_client(settings)
    try:
        identity = await client.auth_test()
    except SlackApiError as exc:
        raise ConfigError(
            f"SLACK_BOT_TOKEN was refused by Slack ({exc.response.get('error')}): "
            "check the token and that the app is installed"
        ) from None
    except OSError as exc:
        raise StartFailed(f"cannot reach Slack at {settings.slack_api_url}: {exc}") from None

    container = await build(settings, with_renderer=True, workers=render_workers)
    billing, conversations = container.billing, container.store.conversations
    # Approval groups given as Slack user group IDs are read through Slack, cached per group.
    billing.engine.groups = GroupCache(SlackGroupDirectory(slack_client(settings)))
    source = str(settings.config_path) if settings.config_path else None
    await billing.auditing.policy_loaded(source, clock())
    delivery = SlackDelivery(
        billing, conversations, slack_client(settings, posting=True), settings.slack, clock
    )
    documents = OutboxWorker(
        documents_case.CONSUMER,
        billing.outbox,
        lambda message: billing.documents.render_on_approval(message, clock()),
    )
    context = HandlerContext(
        billing, delivery, conversations, clock, team_id=identity.get("team_id")
    )

    app = AsyncApp(
        client=client,
        # Socket Mode envelopes are not signed (they arrive over our own websocket); the HTTP
        # endpoint checks every signature itself (bot.slack_http), before Bolt sees the body,
        # and without a secret it is not served at all.
        signing_secret=settings.slack_signing_secret or "",
        request_verification_enabled=False,
    )
    commands.register(app, context)
    actions.register(app, context)
    reminders.register(app, context)
    home.register(app, context)
    jobs = JobRunner(settings)
    scheduler = build_scheduler(settings.policy, jobs, clock, delivery.wake)

    @app.error
    async def on_error(error: Exception, body: dict[str, Any], client: AsyncWebClient) -> None:
        """The last resort for a listener that raised: log it, and tell the person who typed
        or clicked, so nobody is left without an answer."""
        if isinstance(error, SlackApiError):
            log.warning("a Slack call in a listener failed: %s", slack_error(error))
        else:
            log.error("unhandled error in a Slack listener", exc_info=error)
        if body.get("type") in ("block_actions", "view_submission") or "command" in body:
            reply = (
                PrivateReply.to_command(client, None, body)
                if "command" in body
                else PrivateReply.to_click(client, None, body)
            )
            with contextlib.suppress(Exception):  # answering must not fail the error handler
                await reply(
                    ":warning: Something went wrong on our side and it is logged. "
                    "`/invoice status` shows where things stand; try again from there."
                )

    web_app = web.Application(client_max_size=1024 * 1024)

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    if settings.slack_signing_secret:
        handler = slack_events_handler(app, settings.slack_signing_secret)
        web_app.router.add_post("/slack/events", handler)
    web_app.router.add_get("/healthz", healthz)
    add_api_routes(web_app, container.billing, settings.api_token, clock)
    await jobs.start()
    return Service(container, app, web_app, context, delivery, documents, scheduler, jobs)


async def start_http(service: Service, host: str, port: int) -> web.AppRunner:
    """Listen on host:port and start the workers; returns the runner to clean up. Raises
    OSError (with the port in its message) when the address is taken."""
    runner = web.AppRunner(service.web_app)
    await runner.setup()
    try:
        # Fonts load once per process (~0.5 s of CPU): here, not on the loop at the first draft.
        from billing_core.pdf import bundled_fonts

        await asyncio.to_thread(bundled_fonts.preload)
        await web.TCPSite(runner, host, port).start()
    except BaseException:
        await runner.cleanup()
        raise
    await service.start_workers()
    return runner


def configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


async def wait_for_a_signal(stop: asyncio.Event | None = None) -> None:
    """Until SIGINT or SIGTERM (or `stop` is set)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


async def serve(
    settings: Settings, *, socket_mode: bool = False, stop: asyncio.Event | None = None
) -> None:
    """Run until SIGINT/SIGTERM (or `stop` is set): HTTP on HOST:PORT (and Socket Mode)."""
    configure_logging()
    service = await build_service(settings, socket_mode=socket_mode)
    socket_handler = None
    runner = None
    try:
        runner = await start_http(service, settings.host, settings.port)
        freeze_startup_heap()  # once per process: what start-up made is there to stay
        log.info("invoicebot listening on http://%s:%s", settings.host, settings.port)
        if socket_mode:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            socket_handler = AsyncSocketModeHandler(
                service.app,
                settings.slack_app_token,
                web_client=slack_client(settings, token=settings.slack_app_token),
            )
            await socket_handler.connect_async()  # type: ignore[no-untyped-call]  # bolt: untyped
            log.info("connected to Slack in Socket Mode")
        await wait_for_a_signal(stop)
        log.info("shutting down")
    finally:
        if socket_handler is not None:
            await socket_handler.close_async()  # type: ignore[no-untyped-call]  # bolt: untyped
        if runner is not None:
            await runner.cleanup()
        await service.close()
