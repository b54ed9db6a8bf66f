"""Templates in the shared database: synced from Meta, drafted locally, created and deleted
through the Cloud API client."""

from __future__ import annotations

import builtins
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from easymo_core import audit
from easymo_core.errors import EasymoError
from easymo_core.storage.engine import Database
from easymo_core.storage.models import Template
from easymo_core.storage.types import utcnow
from easymo_core.templates.model import TemplateDefinition
from easymo_core.templates.validate import validate_template

log = logging.getLogger(__name__)

Progress = Callable[[int, int | None], None]


class TemplateClient(Protocol):
    def list_templates(self) -> Any: ...
    def create_template(self, definition: Any) -> dict[str, Any]: ...
    def delete_template(self, name: str, hsm_id: str | None = None) -> bool: ...


class TemplateInvalid(EasymoError):
    """A template Meta would refuse; ``problems`` names each field."""

    def __init__(self, name: str, problems: list[Any]) -> None:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(
            f"template {name!r} is not valid: {first.field}: {first.message}{more}",
            hint="fix it and submit again; nothing was sent to Meta",
        )
        self.problems = problems


class TemplateNotFound(EasymoError):
    pass


@dataclass(frozen=True)
class TemplateRecord:
    id: int
    name: str
    language: str
    category: str
    status: str
    quality_score: str | None
    rejected_reason: str | None
    is_draft: bool
    meta_id: str | None
    updated_at: datetime
    definition: TemplateDefinition

    @classmethod
    def from_row(cls, row: Template) -> TemplateRecord:
        defn = TemplateDefinition.from_graph(
            {
                "name": row.name,
                "language": row.language,
                "category": row.category,
                "parameter_format": row.parameter_format,
                "components": row.components,
                "status": row.status,
                "id": row.meta_id,
            }
        )
        return cls(
            id=row.id,
            name=row.name,
            language=row.language,
            category=row.category,
            status=row.status,
            quality_score=row.quality_score,
            rejected_reason=row.rejected_reason,
            is_draft=row.is_draft,
            meta_id=row.meta_id,
            updated_at=row.updated_at,
            definition=defn,
        )


@dataclass(frozen=True)
class TemplateChange:
    name: str
    language: str
    old_status: str | None
    new_status: str | None

    def describe(self) -> str:
        if self.old_status is None:
            return (
                f"{self.name} ({self.language}) is new: {self.new_status.lower() if self.new_status else ''}"
            )
        if self.new_status is None:
            return f"{self.name} ({self.language}) was deleted"
        return f"{self.name} ({self.language}) {self.new_status.lower()}"


@dataclass
class SyncResult:
    total: int
    changes: list[TemplateChange]


class TemplateService:
    def __init__(self, db: Database, client: TemplateClient, waba_id: str, *, profile: str = "") -> None:
        self.db = db
        self.client = client
        self.waba_id = waba_id
        self.profile = profile  # whose submits and deletes the audit log records
        self._languages_cache: dict[str, tuple[tuple[Any, ...], builtins.list[TemplateRecord]]] = {}

    # -- reads -----------------------------------------------------------------------
    def list(
        self,
        *,
        status: str | None = None,
        category: str | None = None,
        language: str | None = None,
        search: str | None = None,
    ) -> builtins.list[TemplateRecord]:
        q = select(Template).where(Template.waba_id == self.waba_id)
        if status:
            q = q.where(Template.status == status.upper())
        if category:
            q = q.where(Template.category == category.upper())
        if language:
            q = q.where(Template.language == language)
        if search:
            q = q.where(Template.name.contains(search.lower()))
        with self.db.session() as s:
            rows = s.scalars(q.order_by(Template.name, Template.language)).all()
            return [TemplateRecord.from_row(r) for r in rows]

    def get(self, name: str, language: str) -> TemplateRecord | None:
        with self.db.session() as s:
            row = s.scalars(
                select(Template).where(
                    Template.waba_id == self.waba_id, Template.name == name, Template.language == language
                )
            ).first()
            return TemplateRecord.from_row(row) if row else None

    def languages(self, name: str) -> builtins.list[TemplateRecord]:
        """Every language of ``name``. Parsed records are cached per name and reused while
        the rows' ids and update times are unchanged, so a send checks a template with one
        light query instead of loading and parsing its JSON again; never stale."""
        where = (Template.waba_id == self.waba_id, Template.name == name)
        with self.db.session() as s:
            signature = tuple(s.execute(
                select(Template.id, Template.updated_at, Template.status).where(*where).order_by(Template.id)
            ).all())
            cached = self._languages_cache.get(name)
            if cached is not None and cached[0] == signature:
                return builtins.list(cached[1])
            rows = s.scalars(select(Template).where(*where).order_by(Template.id)).all()
            records = [TemplateRecord.from_row(r) for r in rows]
        if len(self._languages_cache) > 512:
            self._languages_cache.clear()
        self._languages_cache[name] = (signature, records)
        return builtins.list(records)

    # -- sync with Meta --------------------------------------------------------------
    def sync(self, progress: Progress | None = None) -> SyncResult:
        """Replace the local copy with Meta's list; drafts are kept. Returns what changed.

        Two syncs at once (two consoles, or a console's scheduler and the CLI) may both
        insert a template new to the database; the one that loses retries once and then
        finds the other's rows.
        """
        try:
            return self._sync_once(progress)
        except IntegrityError:
            log.info("template sync raced another sync; retrying once")
            return self._sync_once(progress)

    def _sync_once(self, progress: Progress | None) -> SyncResult:
        remote: builtins.list[dict[str, Any]] = []
        for item in self.client.list_templates():
            remote.append(dict(item))
            if progress:
                progress(len(remote), None)
        now = utcnow()
        changes: builtins.list[TemplateChange] = []
        with self.db.session() as s:
            local = {
                (t.name, t.language): t
                for t in s.scalars(select(Template).where(Template.waba_id == self.waba_id)).all()
            }
            seen: set[tuple[str, str]] = set()
            for item in remote:
                key = (str(item.get("name")), str(item.get("language")))
                seen.add(key)
                status = str(item.get("status", "PENDING")).upper()
                quality = item.get("quality_score")
                quality_score = quality.get("score") if isinstance(quality, dict) else None
                row = local.get(key)
                if row is None:
                    row = Template(
                        waba_id=self.waba_id,
                        name=key[0],
                        language=key[1],
                        created_at=now,
                        category="",
                        status=status,
                        components=[],
                    )
                    s.add(row)
                    changes.append(TemplateChange(key[0], key[1], None, status))
                elif row.status != status:
                    changes.append(TemplateChange(key[0], key[1], row.status, status))
                    row.status_changed_at = now
                row.meta_id = str(item.get("id")) if item.get("id") else row.meta_id
                row.category = str(item.get("category", row.category or "UTILITY")).upper()
                row.status = status
                row.parameter_format = str(item.get("parameter_format") or "POSITIONAL").upper()
                row.components = list(item.get("components") or [])
                row.quality_score = quality_score
                reason = item.get("rejected_reason")
                row.rejected_reason = None if reason in (None, "NONE") else str(reason)
                row.is_draft = False
                row.synced_at = now
                row.updated_at = now
            for key, row in local.items():
                if key not in seen and not row.is_draft:
                    changes.append(TemplateChange(key[0], key[1], row.status, None))
                    s.delete(row)
        if progress:
            progress(len(remote), len(remote))
        return SyncResult(total=len(remote), changes=changes)

    # -- writes ----------------------------------------------------------------------
    def save_draft(self, defn: TemplateDefinition) -> TemplateRecord:
        now = utcnow()
        graph = defn.to_graph()
        with self.db.session() as s:
            row = s.scalars(
                select(Template).where(
                    Template.waba_id == self.waba_id,
                    Template.name == defn.name,
                    Template.language == defn.language,
                )
            ).first()
            if row is not None and not row.is_draft:
                raise EasymoError(
                    f"template {defn.name!r} ({defn.language}) already exists at Meta",
                    hint="add another language or pick another name",
                )
            if row is None:
                row = Template(waba_id=self.waba_id, name=defn.name, language=defn.language, created_at=now)
                s.add(row)
            row.category = defn.category.upper()
            row.status = "DRAFT"
            row.parameter_format = defn.parameter_format
            row.components = graph.get("components", [])
            row.is_draft = True
            row.updated_at = now
            s.flush()
            return TemplateRecord.from_row(row)

    def create(self, defn: TemplateDefinition) -> TemplateRecord:
        """Validate, submit to Meta, and record the new template as PENDING."""
        errors = [p for p in validate_template(defn) if p.is_error]
        if errors:
            raise TemplateInvalid(defn.name, errors)
        answer = self.client.create_template(defn.to_graph())
        now = utcnow()
        graph = defn.to_graph()
        with self.db.session() as s:
            row = s.scalars(
                select(Template).where(
                    Template.waba_id == self.waba_id,
                    Template.name == defn.name,
                    Template.language == defn.language,
                )
            ).first()
            if row is None:
                row = Template(waba_id=self.waba_id, name=defn.name, language=defn.language, created_at=now)
                s.add(row)
            row.meta_id = str(answer.get("id")) if answer.get("id") else None
            row.category = str(answer.get("category") or defn.category).upper()
            row.status = str(answer.get("status") or "PENDING").upper()
            row.parameter_format = defn.parameter_format
            row.components = graph.get("components", [])
            row.is_draft = False
            row.updated_at = now
            row.status_changed_at = now
            s.flush()
            audit.record(s.connection(), action="template.submit", target=defn.name, profile=self.profile,
                         waba_id=self.waba_id, detail={"language": defn.language, "category": row.category,
                                                       "meta_id": row.meta_id, "status": row.status})
            return TemplateRecord.from_row(row)

    def delete(self, name: str, language: str | None = None) -> int:
        """Delete at Meta (all languages, or one), then locally. Returns rows removed."""
        records = self.languages(name)
        if language:
            records = [r for r in records if r.language == language]
        if not records:
            raise TemplateNotFound(
                f"no template {name!r}" + (f" in {language}" if language else ""),
                hint="see `easymo templates list`",
            )
        remote = [r for r in records if not r.is_draft]
        if remote:
            if language:
                self.client.delete_template(name, hsm_id=remote[0].meta_id)
            else:
                self.client.delete_template(name)
        with self.db.session() as s:
            q = delete(Template).where(Template.waba_id == self.waba_id, Template.name == name)
            if language:
                q = q.where(Template.language == language)
            result = s.execute(q)
            audit.record(s.connection(), action="template.delete", target=name, profile=self.profile,
                         waba_id=self.waba_id, detail={"languages": sorted(r.language for r in records),
                                                       "at_meta": bool(remote)})
            return int(getattr(result, "rowcount", 0) or 0)
