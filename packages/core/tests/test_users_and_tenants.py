import pytest
from leadengine_core.errors import Forbidden, ValidationFailed
from leadengine_core.tenants import ensure_same_tenant, ensure_slug, slugify
from leadengine_core.testing import EntityFactory
from leadengine_core.users import Permission, Role, normalize_email, permissions_for

make = EntityFactory()


def test_admins_can_do_everything() -> None:
    assert permissions_for(Role.ADMIN) == set(Permission)


def test_roles_nest_agent_within_supervisor_within_admin() -> None:
    assert permissions_for(Role.AGENT) < permissions_for(Role.SUPERVISOR)
    assert permissions_for(Role.SUPERVISOR) < permissions_for(Role.ADMIN)


@pytest.mark.parametrize(
    ("role", "permission", "allowed"),
    [
        (Role.AGENT, Permission.TICKETS_WRITE, True),
        (Role.AGENT, Permission.QUEUES_WRITE, False),
        (Role.AGENT, Permission.USERS_READ, False),
        (Role.SUPERVISOR, Permission.USERS_READ, True),
        (Role.SUPERVISOR, Permission.USERS_WRITE, False),
        (Role.SUPERVISOR, Permission.INSTANCES_WRITE, False),
        (Role.SUPERVISOR, Permission.SETTINGS_WRITE, False),
        (Role.ADMIN, Permission.INSTANCES_WRITE, True),
    ],
)
def test_role_table(role: Role, permission: Permission, allowed: bool) -> None:
    assert (permission in permissions_for(role)) is allowed
    assert make.user(role=role).can(permission) is allowed


def test_an_inactive_user_can_do_nothing() -> None:
    assert not make.user(role=Role.ADMIN, is_active=False).can(Permission.TICKETS_READ)


def test_emails_are_trimmed_and_lower_cased() -> None:
    assert make.user(email="  Maria@Example.COM ").email == "maria@example.com"
    assert normalize_email("A@B.C") == "a@b.c"


@pytest.mark.parametrize("bad", ["", "maria", "@example.com", "maria@", "ma ria@example.com"])
def test_non_emails_are_rejected(bad: str) -> None:
    with pytest.raises(ValidationFailed):
        normalize_email(bad)


def test_the_password_hash_never_shows_in_repr() -> None:
    assert "$2b$10$secret" not in repr(make.user(password_hash="$2b$10$secret"))


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Clínica São José", "clinica-sao-jose"),
        ("  ACME -- Corp!! ", "acme-corp"),
        ("x" * 150, "x" * 100),
        ("!!!", ""),
    ],
)
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug


@pytest.mark.parametrize("bad", ["", "Acme", "acme--corp", "-acme", "acme_corp", "a" * 101])
def test_tenants_need_a_clean_slug(bad: str) -> None:
    with pytest.raises(ValidationFailed):
        ensure_slug(bad)
    with pytest.raises(ValidationFailed):
        make.tenant(slug=bad)


def test_ensure_same_tenant() -> None:
    tenant = make.ids.new_id()
    ensure_same_tenant(tenant, tenant)
    with pytest.raises(Forbidden):
        ensure_same_tenant(tenant, make.ids.new_id())
