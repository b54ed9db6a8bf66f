"""One running sandbox: its config, state and the parts that act on them.

Built by :class:`~easymo_core.sandbox.server.SandboxServer` and shared by the Graph and
control routes through ``app.state.runtime``. Everything here runs on the server's event
loop; :meth:`startup` binds the timers to it and opens the webhook client.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time

from easymo_core.sandbox.config import SandboxConfig
from easymo_core.sandbox.faults import Faults
from easymo_core.sandbox.ids import IdFactory
from easymo_core.sandbox.lifecycle import Lifecycle
from easymo_core.sandbox.media import MediaStore
from easymo_core.sandbox.rate_limits import Throughput
from easymo_core.sandbox.review import TemplateReview
from easymo_core.sandbox.state import SandboxState
from easymo_core.sandbox.upload_store import UploadStore
from easymo_core.sandbox.users import Users
from easymo_core.sandbox.webhooks import WebhookDispatcher


class SandboxRuntime:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.initial_config = dataclasses.replace(config)
        self.state = SandboxState(config.log_limit)
        self.ids = IdFactory(config.seed)
        self.faults = Faults(config.seed)
        self.throughput = Throughput()
        self.media = MediaStore(config.app_secret)
        self.dispatcher = WebhookDispatcher(config, self.state, self.faults)
        self.users = Users(config, self.state, self.ids, self.dispatcher, self.throughput)
        self.lifecycle = Lifecycle(config, self.state, self.ids, self.dispatcher, self.users)
        self.uploads = UploadStore(config.app_id)
        self.templates = TemplateReview(config, self.state, self.ids, self.dispatcher, self.uploads)
        self.started = time.monotonic()
        if config.seed_templates:
            self.templates.load_seeds()

    async def startup(self) -> None:
        self.started = time.monotonic()
        loop = asyncio.get_running_loop()
        self.lifecycle.timers.bind(loop)
        self.templates.timers.bind(loop)
        await self.dispatcher.start()
        self.templates.review_pending()

    async def shutdown(self) -> None:
        self.lifecycle.reset()
        self.templates.reset()
        await self.dispatcher.stop()

    def reset(self, *, config: bool = False) -> None:
        """Back to a fresh start with the same seed: same ids and decisions replay.

        ``config`` also puts back the settings the server started with.
        """
        if config:
            self.config.restore(self.initial_config)
        self.dispatcher.cancel_pending()
        self.lifecycle.reset()
        self.templates.reset()
        self.state.clear()
        self.ids.reset()
        self.faults.reset()
        self.throughput.reset()
        self.media.clear()
        self.uploads.clear()
        if self.config.seed_templates:
            self.templates.load_seeds()
