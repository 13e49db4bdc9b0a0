from leadengine_shared.metrics import (
    OVERFLOW,
    UNKNOWN,
    BrokerMetrics,
    LabelGuard,
    new_registry,
    render,
    sample_value,
)


def test_label_guard_caps_distinct_values_and_keeps_known_ones() -> None:
    guard = LabelGuard({"tenant": 2})
    assert guard.value("tenant", "a") == "a"
    assert guard.value("tenant", "b") == "b"
    assert guard.value("tenant", "c") == OVERFLOW
    assert guard.value("tenant", "a") == "a"
    assert guard.value("tenant", None) == OVERFLOW
    assert guard.value("free", "anything") == "anything"
    assert guard.value("free", "") == UNKNOWN


def test_each_registry_counts_on_its_own() -> None:
    first, second = new_registry(), new_registry()
    BrokerMetrics(first).requests.labels("send", "POST", "200", "", "success").inc()
    BrokerMetrics(second)
    labels = {
        "operation": "send",
        "method": "POST",
        "status": "200",
        "code": "",
        "result": "success",
    }
    assert sample_value(first, "whatsapp_http_requests_total", labels) == 1.0
    assert sample_value(second, "whatsapp_http_requests_total", labels) == 0.0
    assert b"whatsapp_http_requests_total" in render(first)
