from datetime import timedelta

import pytest
from leadengine_core.contacts import ContactFilter, ContactKind, ContactStatus
from leadengine_core.errors import Forbidden, InvalidJid, InvalidPhone, ValidationFailed
from leadengine_core.testing import EntityFactory

make = EntityFactory()


def test_the_first_phone_learned_becomes_primary() -> None:
    contact = make.contact()
    at = make.clock.advance()

    assert contact.learn_phone("+553188887777", at=at) is True
    assert contact.learn_phone("+5531977776666") is True

    assert contact.primary_phone == "+553188887777"
    assert contact.phone_identities == {"+5531988887777", "+5531977776666"}
    assert contact.updated_at == at


def test_the_other_form_of_a_known_mobile_is_nothing_new() -> None:
    contact = make.contact()
    contact.learn_phone("+553188887777")

    assert contact.learn_phone("+5531988887777") is False
    assert contact.phone_identities == {"+5531988887777"}


def test_learn_phone_needs_e164() -> None:
    with pytest.raises(InvalidPhone):
        make.contact().learn_phone("31988887777")


def test_lids_are_stored_normalised_and_only_lids_are_accepted() -> None:
    contact = make.contact()

    assert contact.add_lid("205040302010002:7@lid") is True
    assert contact.add_lid("205040302010002@lid") is False
    assert contact.lid_aliases == {"205040302010002@lid"}
    with pytest.raises(InvalidJid):
        contact.add_lid("5531988887777@s.whatsapp.net")


def test_push_name_names_a_nameless_contact_only() -> None:
    contact = make.contact()

    assert contact.learn_push_name("  ", from_me=False) is False
    assert contact.learn_push_name("Maria", from_me=True) is False
    assert contact.name is None
    assert contact.learn_push_name(" Maria ", from_me=False) is True
    assert contact.learn_push_name("Maria Silva", from_me=False) is False
    assert contact.name == "Maria"


def test_a_name_typed_by_an_agent_is_never_overwritten() -> None:
    contact = make.contact(name="Dona Maria (cliente VIP)")

    assert contact.learn_push_name("Maria", from_me=False) is False
    assert contact.name == "Dona Maria (cliente VIP)"


def test_interactions_only_move_forward() -> None:
    contact = make.contact()
    later = make.clock.now() + timedelta(hours=1)
    contact.record_interaction(later)
    contact.record_interaction(later - timedelta(minutes=5))

    assert contact.last_interaction_at == later


def test_merge_takes_identities_and_fills_gaps_without_overwriting() -> None:
    keeper = make.contact(name="Maria", emails=["a@x.com"], tags=["vip"], custom_fields={"k": 1})
    keeper.learn_phone("+5531988887777")
    duplicate = make.contact(
        name="Other name",
        avatar_url="https://cdn/avatar.png",
        emails=["b@x.com", "a@x.com"],
        tags=["whatsapp", "vip"],
        custom_fields={"k": 2, "source": "whatsapp"},
        last_interaction_at=make.clock.now() + timedelta(days=1),
    )
    duplicate.add_lid("205040302010002@lid")
    at = make.clock.advance()

    keeper.merge_from(duplicate, at=at)

    assert keeper.name == "Maria"
    assert keeper.avatar_url == "https://cdn/avatar.png"
    assert keeper.lid_aliases == {"205040302010002@lid"}
    assert keeper.phone_identities == {"+5531988887777"}
    assert keeper.emails == ["a@x.com", "b@x.com"]
    assert keeper.tags == ["vip", "whatsapp"]
    assert keeper.custom_fields == {"k": 1, "source": "whatsapp"}
    assert keeper.last_interaction_at == duplicate.last_interaction_at
    assert keeper.updated_at == at


def test_merge_refuses_another_tenant_itself_and_other_kinds() -> None:
    contact = make.contact()

    with pytest.raises(Forbidden):
        contact.merge_from(make.for_tenant(make.ids.new_id()).contact())
    with pytest.raises(ValidationFailed):
        contact.merge_from(contact)
    with pytest.raises(ValidationFailed):
        contact.merge_from(make.contact(kind=ContactKind.GROUP))


@pytest.mark.parametrize(
    ("search", "found"),
    [
        ("maria", True),
        ("  SOUZA ", True),
        ("MARIA@EXAMPLE", True),
        ("(31) 98888-7777", True),
        ("+55 31 8888 7777", True),
        ("3198888", True),
        ("98888-7777x", False),
        ("1234", False),
        ("", True),
    ],
)
def test_search_reads_names_emails_and_phone_digits_of_either_spelling(
    search: str, found: bool
) -> None:
    contact = make.contact(name="Maria Souza", emails=["maria@example.com"])
    contact.learn_phone("+553188887777")

    assert ContactFilter(search=search).matches(contact) is found


def test_tags_match_any_of_and_statuses_narrow() -> None:
    vip = make.contact(tags=["vip", "whatsapp"], status=ContactStatus.ARCHIVED)

    assert ContactFilter(tags=frozenset({"vip", "nope"})).matches(vip)
    assert not ContactFilter(tags=frozenset({"nope"})).matches(vip)
    assert ContactFilter(statuses=frozenset({ContactStatus.ARCHIVED})).matches(vip)
    assert not ContactFilter(statuses=frozenset({ContactStatus.ACTIVE})).matches(vip)
    assert ContactFilter().matches(vip)


def test_an_agent_chosen_phone_becomes_primary_and_earlier_ones_stay_identities() -> None:
    contact = make.contact()
    contact.learn_phone("+5531977776666")
    at = make.clock.advance()

    assert contact.set_primary_phone("+553188887777", at=at) is True
    assert contact.set_primary_phone("+553188887777") is False

    assert contact.primary_phone == "+553188887777"
    assert contact.phone_identities == {"+5531977776666", "+5531988887777"}
    assert contact.updated_at == at
