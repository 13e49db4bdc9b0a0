"""WhatsAppConfig: the one reader of WhatsApp settings, checked through its getters."""

import pytest
from leadengine_shared.settings import ConfigurationError, load_settings
from leadengine_shared.whatsapp import OutboundCircuit, WhatsAppConfig

JWT = "j" * 40
UNSET_BROKER = {
    "whatsapp_broker_url": None,
    "whatsapp_broker_api_key": None,
    "whatsapp_webhook_verify_token": None,
}


def config(**overrides: object) -> WhatsAppConfig:
    return WhatsAppConfig(load_settings(**{**UNSET_BROKER, **overrides}))


def test_broker_getters_normalise_the_url_and_reveal_keys() -> None:
    whatsapp = config(
        whatsapp_broker_url=" https://broker.example/api/ ",
        whatsapp_broker_api_key="broker-key",
        whatsapp_broker_timeout_ms=2500,
        whatsapp_webhook_url="https://app.example/api/integrations/whatsapp/webhook/",
        whatsapp_webhook_api_key="hook-key",
        whatsapp_webhook_hmac_secret="hmac",
        whatsapp_webhook_verify_token="verify",
    )
    assert whatsapp.broker_url == "https://broker.example/api"
    assert whatsapp.broker_api_key == "broker-key"
    assert whatsapp.broker_timeout_ms == 2500
    assert whatsapp.broker_timeout_seconds == 2.5
    assert whatsapp.webhook_url == "https://app.example/api/integrations/whatsapp/webhook"
    assert whatsapp.webhook_api_key == "hook-key"
    assert whatsapp.webhook_hmac_secret == "hmac"
    assert whatsapp.webhook_verify_token == "verify"
    assert whatsapp.missing_broker_settings() == []
    assert whatsapp.is_configured


def test_the_verify_token_falls_back_to_the_broker_key() -> None:
    whatsapp = config(whatsapp_broker_url="http://b:1", whatsapp_broker_api_key="k")
    assert whatsapp.webhook_verify_token == "k"


@pytest.mark.parametrize(
    ("overrides", "missing"),
    [
        ({}, ["WHATSAPP_BROKER_URL", "WHATSAPP_BROKER_API_KEY"]),
        ({"whatsapp_broker_url": "http://b:1"}, ["WHATSAPP_BROKER_API_KEY"]),
        ({"whatsapp_broker_api_key": "k"}, ["WHATSAPP_BROKER_URL"]),
        (
            {"whatsapp_broker_url": "  ", "whatsapp_broker_api_key": " "},
            ["WHATSAPP_BROKER_URL", "WHATSAPP_BROKER_API_KEY"],
        ),
    ],
)
def test_missing_broker_settings_are_named_by_environment_variable(
    overrides: dict[str, object], missing: list[str]
) -> None:
    whatsapp = config(**overrides)
    assert whatsapp.missing_broker_settings() == missing
    assert not whatsapp.is_configured
    assert whatsapp.runtime.as_dict()["status"] == "not_configured"


@pytest.mark.parametrize("url", ["broker.example", "ftp://broker.example", "https://"])
def test_a_broker_url_that_is_not_absolute_http_is_a_startup_error(url: str) -> None:
    with pytest.raises(ConfigurationError, match="WHATSAPP_BROKER_URL"):
        config(whatsapp_broker_url=url)


def test_outbound_circuit_defaults_and_clamping() -> None:
    assert config().outbound_circuit == OutboundCircuit(5, 60_000, 120_000)
    clamped = config(
        whatsapp_outbound_circuit_max_failures=0,
        whatsapp_outbound_circuit_window_ms=-5,
        whatsapp_outbound_circuit_cooldown_ms=0,
        outbound_tps_default=0,
    )
    assert clamped.outbound_circuit == OutboundCircuit(1, 1, 1)
    assert clamped.outbound_tps_default == 1


def test_tps_by_instance_is_parsed_and_falls_back_to_the_default() -> None:
    whatsapp = config(outbound_tps_default=7, outbound_tps_by_instance=" sales-01:10, ,x:y:0 ")
    assert dict(whatsapp.outbound_tps_by_instance) == {"sales-01": 10, "x:y": 1}
    assert whatsapp.outbound_tps_for("sales-01") == 10
    assert whatsapp.outbound_tps_for("other") == 7


@pytest.mark.parametrize("raw", ["sales-01", "sales-01:fast", ":3"])
def test_a_malformed_tps_list_is_a_startup_error(raw: str) -> None:
    with pytest.raises(ConfigurationError, match="OUTBOUND_TPS_BY_INSTANCE"):
        config(outbound_tps_by_instance=raw)


def test_tenant_guard_bypass_is_off_by_default_and_refused_in_production() -> None:
    assert config().tenant_guard_bypass is False
    assert config(whatsapp_tenant_guard_bypass=True).tenant_guard_bypass is True
    with pytest.raises(ConfigurationError, match="WHATSAPP_TENANT_GUARD_BYPASS"):
        config(whatsapp_tenant_guard_bypass=True, environment="production", jwt_secret=JWT)


def test_runtime_block_is_fixed_to_http() -> None:
    configured = config(
        whatsapp_broker_url="http://b:1",
        whatsapp_broker_api_key="k",
        whatsapp_sidecar_sessions_path="/data/sessions",
    )
    assert configured.runtime.as_dict() == {
        "mode": "http",
        "transport": "http",
        "rawMode": "http",
        "correlationSeed": "leadengine",
        "sidecarSessionsPath": "/data/sessions",
        "status": "configured",
        "disabled": False,
    }
    assert config().runtime.disabled is True


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHATSAPP_BROKER_URL", "http://broker:8081/")
    monkeypatch.setenv("WHATSAPP_BROKER_API_KEY", "env-key")
    monkeypatch.setenv("OUTBOUND_TPS_BY_INSTANCE", "a:3")
    monkeypatch.setenv("WHATSAPP_OUTBOUND_CIRCUIT_MAX_FAILURES", "9")
    whatsapp = WhatsAppConfig(load_settings())
    assert whatsapp.broker_url == "http://broker:8081"
    assert whatsapp.broker_api_key == "env-key"
    assert whatsapp.outbound_tps_for("a") == 3
    assert whatsapp.outbound_circuit.max_failures == 9
