from leadengine_shared.testing import redis_url

__all__ = ["redis_url"]
