from leadengine_shared.testing import postgres_url

__all__ = ["postgres_url"]
