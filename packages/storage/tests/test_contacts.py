"""Contacts: identities (phone keys, LIDs, group JID) and tags live in side tables."""

from datetime import UTC, datetime, timedelta

import pytest
from leadengine_core.contacts import Contact, ContactFilter, ContactKind, ContactStatus
from leadengine_core.errors import Conflict, NotFound
from leadengine_core.phone import phone_identity
from leadengine_storage.find_or_add import find_or_add_contact
from leadengine_storage.testing import NewUnitOfWork, SeededTenant, assert_utc, store_committed


async def test_a_contact_round_trips_every_field(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    contact = tenant_a.factory.contact(
        name="João da Silva",
        primary_phone="+553188776655",
        phone_identities={phone_identity("+553188776655"), "+14155550100"},
        lid_aliases={"12345678901234@lid", "99887766554433@lid"},
        emails=["joao@example.com", "j.silva@example.org"],
        tags=["vip", "whatsapp", "inbound"],
        custom_fields={"consent": {"granted": True, "base": "legitimate_interest"}, "score": 7.5},
        status=ContactStatus.ARCHIVED,
        avatar_url="https://cdn.example.com/a.png",
        last_interaction_at=datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
    )
    await store_committed(new_uow, contact)

    async with new_uow() as uow:
        stored = await uow.contacts.get(tenant_a.id, contact.id)

    assert stored == contact
    assert stored is not None
    assert stored.tags == ["vip", "whatsapp", "inbound"]
    assert_utc(stored.last_interaction_at, stored.created_at)


async def test_a_group_round_trips_and_is_found_by_its_jid(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    group = tenant_a.factory.contact(
        kind=ContactKind.GROUP, name="Equipe", group_jid="120363025246125486@g.us"
    )
    await store_committed(new_uow, group)

    async with new_uow() as uow:
        assert await uow.contacts.find_by_group_jid(tenant_a.id, "120363025246125486@g.us") == group
        assert await uow.contacts.find_by_group_jid(tenant_a.id, "1@g.us") is None


async def test_a_person_is_found_by_either_spelling_of_a_brazilian_mobile(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    async with new_uow() as uow:
        with_nine = await uow.contacts.find_by_phone_identity(
            tenant_a.id, phone_identity("+5531988887777")
        )
        without_nine = await uow.contacts.find_by_phone_identity(
            tenant_a.id, phone_identity("+553188887777")
        )
        stranger = await uow.contacts.find_by_phone_identity(tenant_a.id, "+5511999990000")

    assert with_nine == tenant_a.contact
    assert without_nine == tenant_a.contact
    assert stranger is None


async def test_a_person_is_found_by_lid(new_uow: NewUnitOfWork, tenant_a: SeededTenant) -> None:
    contact = tenant_a.factory.contact(lid_aliases={"555@lid"})
    await store_committed(new_uow, contact)

    async with new_uow() as uow:
        assert await uow.contacts.find_by_lid(tenant_a.id, "555@lid") == contact
        assert await uow.contacts.find_by_lid(tenant_a.id, "556@lid") is None


async def test_a_second_contact_with_a_taken_identity_names_the_holder_and_the_unit_goes_on(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    duplicate = tenant_a.factory.contact(
        phone_identities={phone_identity("+553188887777")}, lid_aliases={"777@lid"}
    )
    bystander = tenant_a.factory.contact(lid_aliases={"888@lid"})
    async with new_uow() as uow:
        with pytest.raises(Conflict) as taken:
            await uow.contacts.add(tenant_a.id, duplicate)
        await uow.contacts.add(tenant_a.id, bystander)
        await uow.commit()

    assert taken.value.details == {
        "contactId": str(duplicate.id),
        "identityKind": "phone",
        "identity": "+5531988887777",
        "existingContactId": str(tenant_a.contact.id),
    }
    async with new_uow() as uow:
        assert await uow.contacts.get(tenant_a.id, duplicate.id) is None
        assert await uow.contacts.find_by_lid(tenant_a.id, "777@lid") is None
        assert await uow.contacts.get(tenant_a.id, bystander.id) == bystander


async def test_an_update_keeps_identities_and_tags_in_step(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    contact = tenant_a.factory.contact(lid_aliases={"1@lid", "2@lid"}, tags=["a", "b"])
    await store_committed(new_uow, contact)
    later = contact.updated_at + timedelta(minutes=5)
    contact.learn_phone("+14155550123", at=later)
    contact.lid_aliases.discard("1@lid")
    contact.tags = ["c", "a"]
    contact.name, contact.custom_fields = "Renamed", {"segment": "b2b"}
    async with new_uow() as uow:
        await uow.contacts.update(tenant_a.id, contact)
        await uow.commit()

    async with new_uow() as uow:
        assert await uow.contacts.get(tenant_a.id, contact.id) == contact
        assert await uow.contacts.find_by_phone_identity(tenant_a.id, "+14155550123") == contact
        assert await uow.contacts.find_by_lid(tenant_a.id, "2@lid") == contact
        assert await uow.contacts.find_by_lid(tenant_a.id, "1@lid") is None


async def test_an_update_that_takes_another_contacts_identity_changes_nothing(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    contact = tenant_a.factory.contact(name="Before", lid_aliases={"3@lid"})
    await store_committed(new_uow, contact)
    changed = tenant_a.factory.contact(
        id=contact.id,
        name="After",
        lid_aliases={"4@lid"},
        phone_identities=set(tenant_a.contact.phone_identities),
    )
    async with new_uow() as uow:
        with pytest.raises(Conflict) as taken:
            await uow.contacts.update(tenant_a.id, changed)
        await uow.commit()

    assert taken.value.details["existingContactId"] == str(tenant_a.contact.id)
    async with new_uow() as uow:
        assert await uow.contacts.get(tenant_a.id, contact.id) == contact
        assert await uow.contacts.find_by_lid(tenant_a.id, "3@lid") == contact


async def test_a_missing_contact_cannot_be_updated_or_removed(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    ghost = tenant_a.factory.contact()
    async with new_uow() as uow:
        assert await uow.contacts.get(tenant_a.id, ghost.id) is None
        with pytest.raises(NotFound):
            await uow.contacts.update(tenant_a.id, ghost)
        with pytest.raises(NotFound):
            await uow.contacts.remove(tenant_a.id, ghost.id)


async def test_removing_a_contact_frees_its_identities(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    async with new_uow() as uow:
        await uow.contacts.remove(tenant_a.id, tenant_a.contact.id)
        await uow.commit()

    successor = tenant_a.factory.contact(phone_identities=set(tenant_a.contact.phone_identities))
    await store_committed(new_uow, successor)
    async with new_uow() as uow:
        assert await uow.contacts.get(tenant_a.id, tenant_a.contact.id) is None
        found = await uow.contacts.find_by_phone_identity(tenant_a.id, "+5531988887777")
    assert found == successor


async def test_contacts_page_newest_first_across_ties(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    base = datetime(2025, 6, 1, tzinfo=UTC)
    stamps = [base, base, base + timedelta(seconds=1), base, base + timedelta(seconds=2)]
    contacts = [tenant_a.factory.contact(updated_at=stamp) for stamp in stamps]
    await store_committed(new_uow, *contacts)
    everyone = [tenant_a.contact, *contacts]
    expected = sorted(everyone, key=lambda c: (c.updated_at, str(c.id)), reverse=True)

    seen: list[Contact] = []
    async with new_uow() as uow:
        page = await uow.contacts.list_page(tenant_a.id, ContactFilter(), limit=2)
        seen += page.items
        while page.next_cursor:
            page = await uow.contacts.list_page(
                tenant_a.id, ContactFilter(), cursor=page.next_cursor, limit=2
            )
            seen += page.items

    assert seen == expected


@pytest.mark.parametrize(
    ("search", "expected_names"),
    [
        ("joão", ["JOÃO PEREIRA"]),
        ("  pereira ", ["JOÃO PEREIRA"]),
        ("98765", ["Ana"]),
        ("(11) 98765-4321", ["Ana"]),
        ("31 98888", ["Maria Souza"]),
        ("3188887777", ["Maria Souza"]),
        ("ANA@EXAMPLE", ["Ana"]),
        ("50%", ["50% off"]),
        ("a_b", []),
        ("", ["50% off", "Ana", "JOÃO PEREIRA", "Maria Souza"]),
    ],
)
async def test_contacts_are_searched_by_name_phone_and_email(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant, search: str, expected_names: list[str]
) -> None:
    await store_committed(
        new_uow,
        tenant_a.factory.contact(name="JOÃO PEREIRA"),
        tenant_a.factory.contact(
            name="Ana", primary_phone="+5511987654321", emails=["x@y.z", "ana@example.com"]
        ),
        tenant_a.factory.contact(name="50% off", emails=["aXb@example.com"]),
    )

    async with new_uow() as uow:
        page = await uow.contacts.list_page(tenant_a.id, ContactFilter(search=search))

    assert sorted(contact.name or "" for contact in page.items) == expected_names


async def test_find_or_add_contact_finds_by_any_identity_or_adds(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    f = tenant_a.factory
    known = f.contact(lid_aliases={"42@lid"})
    newcomer = f.contact(phone_identities={"+14155550199"})
    await store_committed(new_uow, known)

    async with new_uow() as uow:
        by_lid = await find_or_add_contact(
            uow.contacts, tenant_a.id, f.contact(lid_aliases={"42@lid"})
        )
        by_phone = await find_or_add_contact(
            uow.contacts,
            tenant_a.id,
            f.contact(phone_identities={phone_identity("+553188887777")}),
        )
        added = await find_or_add_contact(uow.contacts, tenant_a.id, newcomer)

    assert by_lid == (known, False)
    assert by_phone == (tenant_a.contact, False)
    assert added == (newcomer, True)
