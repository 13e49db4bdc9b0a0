"""`leadengine db seed --demo`: a demo tenant to log in to on a fresh embedded install.

Idempotent: an existing demo tenant is left as it is and its credentials are printed again.
Refused in production, where fixed, published passwords have no place.
"""

from __future__ import annotations

from dataclasses import dataclass

from leadengine_core.instances import InstanceStatus, WhatsAppInstance
from leadengine_core.ports import Clock, IdGenerator, UnitOfWork
from leadengine_core.queues import DEFAULT_QUEUE_NAME, Queue
from leadengine_core.tenants import Tenant
from leadengine_core.users import Role, User

from leadengine_api.auth.passwords import hash_password

__all__ = ["DEMO", "DemoCredentials", "seed_demo"]


@dataclass(frozen=True, slots=True)
class DemoCredentials:
    tenant_slug: str = "demo"
    admin_email: str = "admin@demo.leadengine.dev"
    admin_password: str = "demo-admin-123"  # noqa: S105 (published demo credentials)
    agent_email: str = "agent@demo.leadengine.dev"
    agent_password: str = "demo-agent-123"  # noqa: S105 (published demo credentials)
    instance_broker_id: str = "demo-whatsapp"


DEMO = DemoCredentials()


async def seed_demo(uow: UnitOfWork, clock: Clock, ids: IdGenerator) -> bool:
    """Create the demo tenant, its users, queue and WhatsApp instance; False if it existed."""
    if await uow.tenants.get_by_slug(DEMO.tenant_slug) is not None:
        return False
    now = clock.now()
    tenant = Tenant(
        id=ids.new_id(), name="Demo", slug=DEMO.tenant_slug, created_at=now, updated_at=now
    )
    await uow.tenants.add(tenant)
    for email, password, name, role in (
        (DEMO.admin_email, DEMO.admin_password, "Demo Admin", Role.ADMIN),
        (DEMO.agent_email, DEMO.agent_password, "Demo Agent", Role.AGENT),
    ):
        user = User(
            tenant_id=tenant.id,
            id=ids.new_id(),
            email=email,
            name=name,
            role=role,
            password_hash=hash_password(password),
            created_at=now,
            updated_at=now,
        )
        await uow.users.add(tenant.id, user)
    queue = Queue(
        tenant_id=tenant.id,
        id=ids.new_id(),
        name=DEFAULT_QUEUE_NAME,
        created_at=now,
        updated_at=now,
    )
    await uow.queues.add(tenant.id, queue)
    instance = WhatsAppInstance(
        tenant_id=tenant.id,
        id=ids.new_id(),
        broker_id=DEMO.instance_broker_id,
        name="Demo WhatsApp",
        status=InstanceStatus.PENDING,
        created_at=now,
        updated_at=now,
    )
    await uow.instances.add(tenant.id, instance)
    return True
