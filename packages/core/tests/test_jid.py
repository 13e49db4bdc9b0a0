import pytest
from hypothesis import given
from hypothesis import strategies as st
from leadengine_core.errors import InvalidJid
from leadengine_core.jid import Jid, JidKind, is_status_broadcast, parse_jid, try_parse_jid


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5531988887777@s.whatsapp.net", Jid("5531988887777", "s.whatsapp.net", JidKind.PHONE)),
        ("5531988887777@c.us", Jid("5531988887777", "c.us", JidKind.PHONE)),
        (
            "5531988887777:12@s.whatsapp.net",
            Jid("5531988887777", "s.whatsapp.net", JidKind.PHONE, device=12),
        ),
        ("123:4@lid", Jid("123", "lid", JidKind.LID, device=4)),
        (
            "5531988887777_1:3@s.whatsapp.net",
            Jid("5531988887777", "s.whatsapp.net", JidKind.PHONE, device=3, agent=1),
        ),
        ("205040302010002_1@lid", Jid("205040302010002", "lid", JidKind.LID, agent=1)),
        ("120363400000000001@g.us", Jid("120363400000000001", "g.us", JidKind.GROUP)),
        ("5511900001001-1582000000@g.us", Jid("5511900001001-1582000000", "g.us", JidKind.GROUP)),
        ("status@broadcast", Jid("status", "broadcast", JidKind.BROADCAST)),
        ("1234567890@broadcast", Jid("1234567890", "broadcast", JidKind.BROADCAST)),
        (
            "120363400000000099@newsletter",
            Jid("120363400000000099", "newsletter", JidKind.NEWSLETTER),
        ),
        ("5511900001001@hosted", Jid("5511900001001", "hosted", JidKind.PHONE)),
        ("205040302010002@hosted.lid", Jid("205040302010002", "hosted.lid", JidKind.LID)),
        ("867051314767696@bot", Jid("867051314767696", "bot", JidKind.OTHER)),
        (" 5531988887777@S.WHATSAPP.NET ", Jid("5531988887777", "s.whatsapp.net", JidKind.PHONE)),
    ],
)
def test_parse_jid(value: str, expected: Jid) -> None:
    assert parse_jid(value) == expected


@pytest.mark.parametrize(
    ("value", "normalized", "phone"),
    [
        ("5531988887777@s.whatsapp.net", "5531988887777@s.whatsapp.net", "+5531988887777"),
        ("5531988887777@c.us", "5531988887777@s.whatsapp.net", "+5531988887777"),
        ("5531988887777:12@s.whatsapp.net", "5531988887777@s.whatsapp.net", "+5531988887777"),
        ("5531988887777_1:3@c.us", "5531988887777@s.whatsapp.net", "+5531988887777"),
        ("123:4@lid", "123@lid", None),
        ("205040302010002@lid", "205040302010002@lid", None),
        ("120363400000000001@g.us", "120363400000000001@g.us", None),
        ("5511900001001-1582000000@g.us", "5511900001001-1582000000@g.us", None),
        ("status@broadcast", "status@broadcast", None),
        ("120363400000000099@newsletter", "120363400000000099@newsletter", None),
        ("0@c.us", "0@s.whatsapp.net", None),
        ("server@c.us", "server@s.whatsapp.net", None),
    ],
)
def test_normalized_form_and_phone(value: str, normalized: str, phone: str | None) -> None:
    jid = parse_jid(value)
    assert jid.normalized == normalized
    assert jid.phone == phone


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "5531988887777",
        "@s.whatsapp.net",
        "5531988887777@",
        "a b@s.whatsapp.net",
        "5531988887777:@s.whatsapp.net",
        "5531988887777:x@s.whatsapp.net",
        "5531988887777@s.whatsapp..net",
        "+5531988887777@s.whatsapp.net",
        "5531988887777@s.whatsapp.net@c.us",
        "5531988887777:1234567890123@s.whatsapp.net",
    ],
)
def test_garbage_is_not_a_jid(garbage: str) -> None:
    with pytest.raises(InvalidJid) as raised:
        parse_jid(garbage)
    assert raised.value.code == "INVALID_JID"
    assert try_parse_jid(garbage) is None


def test_kind_helpers() -> None:
    assert parse_jid("120363400000000001@g.us").is_group
    assert not parse_jid("5531988887777@s.whatsapp.net").is_group
    assert is_status_broadcast("status@broadcast")
    assert not is_status_broadcast("1234567890@broadcast")
    assert not is_status_broadcast("not a jid")
    assert not is_status_broadcast(None)
    assert try_parse_jid(None) is None


@given(st.text())
def test_parse_jid_only_ever_raises_invalid_jid(value: str) -> None:
    try:
        jid = parse_jid(value)
    except InvalidJid:
        return
    assert parse_jid(jid.normalized).normalized == jid.normalized
