import pytest
from leadengine_shared.settings import (
    DEFAULT_SQLITE_URL,
    ConfigurationError,
    Environment,
    load_settings,
)


def test_defaults_run_embedded_on_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = load_settings()
    assert settings.database_url == DEFAULT_SQLITE_URL
    assert settings.is_sqlite
    assert str(settings.sqlite_path) == "var/leadengine.db"
    assert settings.environment is Environment.DEVELOPMENT


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db:5432/app")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/1")
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", "https://A.example/, https://b.example")
    monkeypatch.setenv("FRONTEND_URL", "https://web.example/")
    settings = load_settings()
    assert settings.database_url == "postgresql+psycopg://u@db:5432/app"
    assert not settings.is_sqlite
    assert settings.sqlite_path is None
    assert settings.redis_url == "redis://cache:6379/1"
    assert settings.cors_origins == [
        "https://a.example",
        "https://b.example",
        "https://web.example",
    ]


def test_whatsapp_mode_is_a_startup_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHATSAPP_MODE", "sidecar")
    with pytest.raises(ConfigurationError, match="WHATSAPP_MODE"):
        load_settings()


@pytest.mark.parametrize("environment", ["production", "test"])
def test_jwt_secret_required_outside_development(environment: str) -> None:
    with pytest.raises(ConfigurationError, match="JWT_SECRET"):
        load_settings(environment=environment)
    with pytest.raises(ConfigurationError, match="JWT_SECRET"):
        load_settings(environment=environment, jwt_secret="too-short")
    settings = load_settings(environment=environment, jwt_secret="x" * 32)
    assert settings.signing_secret == "x" * 32


def test_development_has_a_fixed_signing_secret() -> None:
    assert load_settings(jwt_secret=None).signing_secret == load_settings().signing_secret


def test_every_problem_is_reported_with_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "99999")
    monkeypatch.setenv("LOG_LEVEL", "loud")
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert "PORT" in str(caught.value)
    assert "LOG_LEVEL" in str(caught.value)


def test_settings_fields_are_documented() -> None:
    from leadengine_shared.settings import Settings

    undocumented = [name for name, field in Settings.model_fields.items() if not field.description]
    assert undocumented == []
