"""The relational schema: one `Table` per record kind, shared by SQLite and PostgreSQL.

Rules that can be broken by a race live here as constraints, not only in code:
one contact per (tenant, phone identity / LID / group JID), one lead per contact, one open
ticket per (tenant, contact, instance), one message per (tenant, instance, provider id) and per
(tenant, idempotency key), one instance per broker session id. Every tenant-owned row carries
`tenant_id`, and every index that serves a tenant-wide list starts with it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

__all__ = ["OPEN_TICKET_STATUSES", "metadata"]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

OPEN_TICKET_STATUSES = ("OPEN", "PENDING", "ASSIGNED")
_OPEN_TICKET_WHERE = text("status IN ('OPEN', 'PENDING', 'ASSIGNED')")


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both engines (SQLite would hand back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass an aware UTC value")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is UTC:
            return value
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JsonDoc = JSON().with_variant(JSONB(), "postgresql")
OptionalJsonDoc = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
"""For nullable documents: Python None is stored as SQL NULL rather than the JSON `null`."""


def _id() -> Column[Any]:
    return Column("id", Uuid, primary_key=True)


def _tenant() -> Column[Any]:
    return Column("tenant_id", Uuid, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False)


def _timestamps() -> tuple[Column[Any], Column[Any]]:
    return (
        Column("created_at", UtcDateTime, nullable=False),
        Column("updated_at", UtcDateTime, nullable=False),
    )


tenants = Table(
    "tenants",
    metadata,
    _id(),
    Column("name", String(200), nullable=False),
    Column("slug", String(100), nullable=False, unique=True),
    Column("is_active", Boolean, nullable=False, server_default=text("true")),
    Column("settings", JsonDoc, nullable=False),
    *_timestamps(),
)

users = Table(
    "users",
    metadata,
    _id(),
    _tenant(),
    Column("email", String(320), nullable=False),
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("is_active", Boolean, nullable=False, server_default=text("true")),
    Column("password_hash", String(255), nullable=False),
    Column("last_login_at", UtcDateTime),
    *_timestamps(),
    UniqueConstraint("tenant_id", "email"),
    Index("ix_users_tenant_created", "tenant_id", "created_at", "id"),
)

# Machine credentials: the public prefix finds a key (unique across tenants, since the token
# alone decides the tenant); only a SHA-256 of the secret is stored.
api_keys = Table(
    "api_keys",
    metadata,
    _id(),
    _tenant(),
    Column("name", String(120), nullable=False),
    Column("role", String(20), nullable=False),
    Column("prefix", String(32), nullable=False, unique=True),
    Column("secret_hash", String(64), nullable=False),
    Column("created_by", Uuid, ForeignKey("users.id", ondelete="SET NULL")),
    Column("last_used_at", UtcDateTime),
    Column("revoked_at", UtcDateTime),
    *_timestamps(),
    Index("ix_api_keys_tenant_created", "tenant_id", "created_at", "id"),
)

queues = Table(
    "queues",
    metadata,
    _id(),
    _tenant(),
    Column("name", String(120), nullable=False),
    Column("description", String(300)),
    Column("color", String(32)),
    Column("is_active", Boolean, nullable=False, server_default=text("true")),
    Column("order_index", Integer, nullable=False, server_default=text("0")),
    *_timestamps(),
    UniqueConstraint("tenant_id", "name"),
)

contacts = Table(
    "contacts",
    metadata,
    _id(),
    _tenant(),
    Column("kind", String(10), nullable=False),
    Column("name", String(200)),
    Column("primary_phone", String(20)),
    Column("group_jid", String(120)),
    Column("avatar_url", Text),
    Column("status", String(20), nullable=False),
    Column("emails", JsonDoc, nullable=False),
    Column("custom_fields", JsonDoc, nullable=False),
    Column("last_interaction_at", UtcDateTime),
    *_timestamps(),
    Index("ix_contacts_tenant_updated", "tenant_id", "updated_at", "id"),
)

# Every way a WhatsApp conversation names a contact (phone identity key, @lid alias, group JID)
# is a row here; the unique key is what stops two workers creating the same person twice, and
# since both spellings of a Brazilian mobile share one identity key, it is also what makes the
# phone unique per tenant (`contacts.primary_phone` is only the number as first seen).
contact_identities = Table(
    "contact_identities",
    metadata,
    Column("tenant_id", Uuid, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True),
    Column("kind", String(10), primary_key=True),
    Column("value", String(120), primary_key=True),
    Column(
        "contact_id",
        Uuid,
        ForeignKey("contacts.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
)

contact_tags = Table(
    "contact_tags",
    metadata,
    Column("contact_id", Uuid, ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag", String(60), primary_key=True),
    Column("tenant_id", Uuid, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Index("ix_contact_tags_tenant_tag", "tenant_id", "tag"),
)

leads = Table(
    "leads",
    metadata,
    _id(),
    _tenant(),
    Column("contact_id", Uuid, ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False),
    Column("assignee_id", Uuid, ForeignKey("users.id", ondelete="SET NULL")),
    Column("status", String(20), nullable=False),
    Column("source", String(20), nullable=False),
    Column("value", Float),
    Column("probability", Integer),
    Column("tags", JsonDoc, nullable=False),
    Column("notes", Text),
    Column("custom_fields", JsonDoc, nullable=False),
    Column("last_contact_at", UtcDateTime),
    *_timestamps(),
    UniqueConstraint("tenant_id", "contact_id"),
    Index("ix_leads_tenant_updated", "tenant_id", "updated_at", "id"),
)

lead_activities = Table(
    "lead_activities",
    metadata,
    _id(),
    _tenant(),
    Column("lead_id", Uuid, ForeignKey("leads.id", ondelete="CASCADE"), nullable=False),
    Column("actor_id", Uuid, ForeignKey("users.id", ondelete="SET NULL")),
    Column("type", String(30), nullable=False),
    Column("title", String(200), nullable=False),
    Column("description", Text),
    Column("metadata", JsonDoc, nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Index("ix_lead_activities_lead_time", "lead_id", "occurred_at", "id"),
)

whatsapp_instances = Table(
    "whatsapp_instances",
    metadata,
    _id(),
    _tenant(),
    Column("broker_id", String(120), nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    Column("status", String(20), nullable=False),
    Column("phone_number", String(20)),
    Column("qr", Text),
    Column("qr_expires_at", UtcDateTime),
    Column("last_seen_at", UtcDateTime),
    Column("deleted_at", UtcDateTime),
    Column("metadata", JsonDoc, nullable=False),
    *_timestamps(),
    Index("ix_whatsapp_instances_tenant", "tenant_id", "created_at"),
)

tickets = Table(
    "tickets",
    metadata,
    _id(),
    _tenant(),
    Column("contact_id", Uuid, ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False),
    Column("queue_id", Uuid, ForeignKey("queues.id", ondelete="RESTRICT"), nullable=False),
    Column("instance_id", Uuid, ForeignKey("whatsapp_instances.id", ondelete="SET NULL")),
    Column("assignee_id", Uuid, ForeignKey("users.id", ondelete="SET NULL")),
    Column("status", String(20), nullable=False),
    Column("priority", String(10), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("subject", String(200)),
    Column("tags", JsonDoc, nullable=False),
    Column("last_message_at", UtcDateTime),
    Column("last_message_preview", String(280)),
    Column("last_activity_at", UtcDateTime, nullable=False),
    Column("unread_count", Integer, nullable=False, server_default=text("0")),
    Column("closed_at", UtcDateTime),
    Column("closed_by", Uuid),
    Column("close_reason", String(500)),
    Column("metadata", JsonDoc, nullable=False),
    *_timestamps(),
    # The inbox: newest activity first, keyset on (last_activity_at, id).
    Index("ix_tickets_tenant_activity", "tenant_id", "last_activity_at", "id"),
    Index(
        "ix_tickets_tenant_open_activity",
        "tenant_id",
        "last_activity_at",
        "id",
        postgresql_where=_OPEN_TICKET_WHERE,
        sqlite_where=_OPEN_TICKET_WHERE,
    ),
    Index("ix_tickets_tenant_assignee", "tenant_id", "assignee_id", "last_activity_at", "id"),
    Index("ix_tickets_contact", "contact_id"),
    # One open ticket per (tenant, contact, instance). A ticket without an instance uses its
    # tenant id in the instance slot, so "no instance" is one slot too (NULLs never collide).
    Index(
        "uq_tickets_one_open_per_contact_instance",
        "tenant_id",
        "contact_id",
        func.coalesce(text("instance_id"), text("tenant_id")),
        unique=True,
        postgresql_where=_OPEN_TICKET_WHERE,
        sqlite_where=_OPEN_TICKET_WHERE,
    ),
)

ticket_notes = Table(
    "ticket_notes",
    metadata,
    _id(),
    _tenant(),
    Column("ticket_id", Uuid, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False),
    Column("author_id", Uuid, ForeignKey("users.id", ondelete="SET NULL")),
    Column("body", Text, nullable=False),
    Column("visibility", String(10), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_ticket_notes_ticket_time", "ticket_id", "created_at", "id"),
)

messages = Table(
    "messages",
    metadata,
    _id(),
    _tenant(),
    Column("ticket_id", Uuid, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False),
    Column("contact_id", Uuid, ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False),
    Column("instance_id", Uuid, ForeignKey("whatsapp_instances.id", ondelete="SET NULL")),
    Column("author_id", Uuid, ForeignKey("users.id", ondelete="SET NULL")),
    Column("direction", String(10), nullable=False),
    Column("origin", String(10), nullable=False),
    Column("type", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("text", Text),
    Column("caption", Text),
    Column("media", OptionalJsonDoc),
    Column("location", OptionalJsonDoc),
    Column("contacts", OptionalJsonDoc),
    Column("sender", OptionalJsonDoc),
    Column("provider_message_id", String(128)),
    Column("idempotency_key", String(200)),
    Column("quoted_provider_id", String(128)),
    Column("edit_history", JsonDoc, nullable=False),
    Column("reactions", JsonDoc, nullable=False),
    Column("revoked_at", UtcDateTime),
    Column("failure_reason", Text),
    Column("metadata", JsonDoc, nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("delivered_at", UtcDateTime),
    Column("read_at", UtcDateTime),
    *_timestamps(),
    UniqueConstraint("tenant_id", "idempotency_key"),
    # One row per provider id and WhatsApp account; like the open-ticket slot, a message
    # without an instance uses the tenant id, so "no instance" is one account too.
    Index(
        "uq_messages_provider_message",
        "tenant_id",
        func.coalesce(text("instance_id"), text("tenant_id")),
        "provider_message_id",
        unique=True,
    ),
    # A thread, oldest to newest and back: keyset on (occurred_at, id) within a ticket.
    Index("ix_messages_ticket_time", "ticket_id", "occurred_at", "id"),
    Index("ix_messages_tenant_created", "tenant_id", "created_at"),
    # A contact merge re-points, and a contact delete cascades to, the contact's messages.
    Index("ix_messages_contact", "contact_id"),
)

# The durable inbox of webhook events (leadengine_storage.inbox). `tenant_id` is NULL while no
# instance has the event's broker id ("unroutable"); the queue columns are work_queue's.
inbound_inbox = Table(
    "inbound_inbox",
    metadata,
    _id(),
    Column("tenant_id", Uuid, ForeignKey("tenants.id", ondelete="CASCADE")),
    Column("broker_id", String(256), nullable=False),
    Column("dedupe_key", String(512), nullable=False, unique=True),
    Column("source", String(20), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("available_at", UtcDateTime, nullable=False),
    Column("locked_by", String(120)),
    Column("locked_until", UtcDateTime),
    Column("last_error", Text),
    Column("waiting_for", String(256)),
    Column("trace_context", String(512)),
    Column("received_at", UtcDateTime, nullable=False),
    Column("processed_at", UtcDateTime),
    Index("ix_inbound_inbox_claim", "status", "available_at", "id"),
    Index("ix_inbound_inbox_waiting", "broker_id", "waiting_for"),
    Index("ix_inbound_inbox_tenant_status", "tenant_id", "status", "received_at"),
)

# The outbound outbox (leadengine_storage.outbox): one row per agent send, written in the
# request's transaction with its PENDING message (whose id is the row id); queue columns are
# work_queue's. `to` and `broker_id` are fixed when the send is accepted.
outbox = Table(
    "outbox",
    metadata,
    Column("id", Uuid, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    _tenant(),
    Column(
        "instance_id",
        Uuid,
        ForeignKey("whatsapp_instances.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("broker_id", String(120), nullable=False),
    Column("to", String(20), nullable=False),
    Column("payload", JsonDoc, nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("available_at", UtcDateTime, nullable=False),
    Column("locked_by", String(120)),
    Column("locked_until", UtcDateTime),
    Column("last_error", Text),
    Column("accepted_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime),
    Index("ix_outbox_claim", "status", "available_at", "id"),
    Index("ix_outbox_tenant_status", "tenant_id", "status", "accepted_at"),
)
