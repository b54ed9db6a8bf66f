"""Everything a profile needs to work, built once: database, Cloud API client, template
store, status ingest, message processor. The CLI and the console both start here, so no
front end builds an HTTP client or a database session of its own."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from easymo_core.cloudapi.client import CloudAPIClient
from easymo_core.cloudapi.models import PhoneNumberInfo
from easymo_core.cloudapi.pacing import Pacers
from easymo_core.config import paths
from easymo_core.config.profile import Profile
from easymo_core.errors import ConfigError, EasymoError
from easymo_core.flows.engine import FlowEngine
from easymo_core.media.cache import MediaCache
from easymo_core.messaging.ingest import StatusIngest
from easymo_core.messaging.overview import OverviewQueries
from easymo_core.messaging.processor import MessageProcessor
from easymo_core.messaging.queries import MessageQueries
from easymo_core.secrets import get_secret
from easymo_core.storage.engine import Database
from easymo_core.storage.open import open_database
from easymo_core.templates.store import TemplateService


@dataclass
class Services:
    profile: Profile
    db: Database
    client: CloudAPIClient
    templates: TemplateService
    ingest: StatusIngest
    processor: MessageProcessor
    messages: MessageQueries
    # Conversation flows, driven by what ``ingest`` commits; a receiver built elsewhere
    # (webhook serve, the sandbox stack) attaches it with ``flows.attach(its_ingest)``.
    flows: FlowEngine
    overview: OverviewQueries

    @classmethod
    def open(
        cls,
        profile: Profile,
        *,
        graph_url: str | None = None,
        access_token: str | None = None,
        client: CloudAPIClient | None = None,
        db: Database | None = None,
        pacers: Pacers | None = None,
    ) -> Services:
        """``pacers``: the pacers of the caller's process (the console keeps one for all its
        profiles); without it this Services paces its sends alone."""
        missing = [] if profile.is_sandbox else profile.missing_for_sending()
        if missing:
            raise ConfigError(
                f"profile {profile.name!r} lacks its {' and '.join(missing)}",
                hint=f"set them with `easymo profile add {profile.name} --replace ...`",
            )
        database = db or open_database(profile)
        if client is None:
            client = CloudAPIClient(
                access_token=access_token or get_secret(profile, "token"),
                phone_number_id=profile.phone_number_id,
                waba_id=profile.waba_id,
                base_url=graph_url or profile.graph_url,
                graph_version=profile.graph_version,
                pacer=(pacers or Pacers()).for_number(profile.phone_number_id, profile.messages_per_second),
            )
        templates = TemplateService(database, client, profile.waba_id, profile=profile.name)
        ingest = StatusIngest(database)
        processor = MessageProcessor(database, client, profile, templates, ingest)
        flows = FlowEngine(database, processor)
        flows.attach(ingest)
        return cls(profile, database, client, templates, ingest, processor, MessageQueries(database), flows,
                   OverviewQueries(database))

    @staticmethod
    def check_connection(profile: Profile, token: str | None = None) -> PhoneNumberInfo:
        """Call the phone-number endpoint with ``profile``'s settings, before any Services is
        open (Settings tests a token typed in before it is saved; else the keyring's)."""
        missing = profile.missing_for_sending()
        if "phone-number id" in missing:
            raise EasymoError(
                f"profile {profile.name!r} has no phone-number id",
                hint="copy it from WhatsApp Manager > API Setup",
            )
        with CloudAPIClient(
            access_token=token or get_secret(profile, "token"),
            phone_number_id=profile.phone_number_id,
            waba_id=profile.waba_id,
            base_url=profile.graph_url,
            graph_version=profile.graph_version,
            timeout=10.0,
        ) as client:
            return client.phone_number_info()

    @functools.cached_property
    def media(self) -> MediaCache:
        """Media customers sent, fetched once into the user's data directory (per profile)."""
        return MediaCache(paths.data_dir() / "media" / self.profile.name, self.client)

    def phone_info(self) -> PhoneNumberInfo:
        return self.client.phone_number_info()

    def close(self) -> None:
        self.flows.stop()
        self.client.close()
        self.db.dispose()
