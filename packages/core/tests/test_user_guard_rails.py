from uuid import UUID

import pytest
from leadengine_core.errors import Conflict, Forbidden
from leadengine_core.testing import EntityFactory
from leadengine_core.users import LastAdmin, Role, SelfLockout, User, ensure_access_change_allowed

make = EntityFactory()


def _change(
    user: User,
    admins: set[UUID],
    *,
    actor: UUID | None,
    role: Role | None = None,
    is_active: bool | None = None,
) -> None:
    ensure_access_change_allowed(
        user,
        role=role or user.role,
        is_active=user.is_active if is_active is None else is_active,
        actor_id=actor,
        active_admin_ids=admins,
    )


def test_nobody_deactivates_or_re_roles_themselves() -> None:
    me, other = make.user(role=Role.ADMIN), make.user(role=Role.ADMIN)
    admins = {me.id, other.id}

    with pytest.raises(SelfLockout) as deactivated:
        _change(me, admins, actor=me.id, is_active=False)
    with pytest.raises(SelfLockout):
        _change(me, admins, actor=me.id, role=Role.SUPERVISOR)
    assert isinstance(deactivated.value, Forbidden)
    assert deactivated.value.code == "SELF_LOCKOUT"
    _change(me, admins, actor=me.id, role=Role.ADMIN, is_active=True)


def test_the_last_active_admin_stays_one() -> None:
    admin = make.user(role=Role.ADMIN)

    with pytest.raises(LastAdmin) as refused:
        _change(admin, {admin.id}, actor=None, is_active=False)
    with pytest.raises(LastAdmin):
        _change(admin, {admin.id}, actor=None, role=Role.AGENT)
    assert isinstance(refused.value, Conflict)
    assert refused.value.code == "LAST_ADMIN"


def test_an_admin_may_go_while_another_remains() -> None:
    admin, other = make.user(role=Role.ADMIN), make.user(role=Role.ADMIN)

    _change(admin, {admin.id, other.id}, actor=other.id, is_active=False)
    _change(admin, {admin.id, other.id}, actor=None, role=Role.AGENT)


def test_users_who_are_not_active_admins_change_freely() -> None:
    admin = make.user(role=Role.ADMIN)
    agent, dormant = make.user(), make.user(role=Role.ADMIN, is_active=False)

    _change(agent, {admin.id}, actor=admin.id, role=Role.SUPERVISOR, is_active=False)
    _change(dormant, {admin.id}, actor=admin.id, role=Role.AGENT)
    _change(dormant, set(), actor=None, is_active=True)
