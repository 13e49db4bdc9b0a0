"""SQLAlchemy Core implementations of every repository port in `leadengine_core.ports`.

Each repository works on the unit of work's connection, takes the tenant on every method and
filters every statement on it (`tenant_scope` states the rule and the test suite checks it).
"""

from leadengine_storage.repositories.contacts import SqlContactRepository
from leadengine_storage.repositories.instances import SqlInstanceRepository
from leadengine_storage.repositories.leads import SqlLeadRepository
from leadengine_storage.repositories.messages import SqlMessageRepository
from leadengine_storage.repositories.queues import SqlQueueRepository
from leadengine_storage.repositories.tenants import SqlTenantRepository
from leadengine_storage.repositories.tickets import SqlTicketRepository
from leadengine_storage.repositories.users import SqlUserRepository

__all__ = [
    "SqlContactRepository",
    "SqlInstanceRepository",
    "SqlLeadRepository",
    "SqlMessageRepository",
    "SqlQueueRepository",
    "SqlTenantRepository",
    "SqlTicketRepository",
    "SqlUserRepository",
]
