"""The Bicep, `host.json`, the Functions triggers and the code agree on names and numbers.

A setting the Bicep sets that no code reads, a queue the code uses that the Bicep does not
create, or a lock duration that differs between the local bus and Service Bus is a deployment
that passes every local test and fails on Azure; these tests catch each of them here.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest

from shared.ports.bus import MAX_DELIVERY_COUNT
from shared.queues import COMMANDS, WEBHOOKS
from shared.settings import Settings
from tests.infra.bicep_text import block, keys, property_value, string_array_param, text

ROOT = Path(__file__).resolve().parents[2]

PLATFORM_SETTINGS = {
    # Read by the Functions host, not by tenantry.
    "AzureWebJobsStorage__accountName",
    "AzureWebJobsStorage__credential",
    "AzureWebJobsStorage__clientId",
    "SERVICEBUS__fullyQualifiedNamespace",
    "SERVICEBUS__credential",
    "SERVICEBUS__clientId",
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
    # Read by the OpenTelemetry SDK (shared/telemetry_setup.py).
    "OTEL_SERVICE_NAME",
}
AZURE_ENDPOINTS = {
    "SERVICEBUS_NAMESPACE",
    "COSMOS_ENDPOINT",
    "BLOB_ACCOUNT_URL",
    "SEARCH_ENDPOINT",
    "KEYVAULT_URL",
    "MANAGED_IDENTITY_CLIENT_ID",
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
}


def _seconds(duration: str) -> float:
    """An ISO 8601 duration (`P14D`, `PT30S`, `PT10M`) or a .NET timespan (`00:05:00`)."""
    if re.fullmatch(r"\d+:\d{2}:\d{2}(\.\d+)?", duration):
        hours, minutes, seconds = duration.split(":")
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    match = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", duration)
    assert match is not None, duration
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return days * 86400 + hours * 3600 + minutes * 60 + seconds


def _setting_names() -> set[str]:
    return {name.upper() for name in Settings.model_fields}


def _bicep_settings() -> dict[str, set[str]]:
    """The app setting names each runtime gets, from main.bicep and functions.bicep."""
    main = text("main.bicep")
    shared = keys(block(main, "var serviceSettings ="))
    workers = shared | keys(block(block(main, "module workers "), "union(serviceSettings,"))
    ingress = shared | keys(block(block(main, "module ingress "), "union(serviceSettings,"))
    workers |= keys(block(text("modules/functions.bicep"), "var hostSettings ="))
    return {"workers": workers, "ingress": ingress}


def test_the_bicep_creates_exactly_the_queues_the_code_uses() -> None:
    assert string_array_param(text("modules/servicebus.bicep"), "queueNames") == [
        COMMANDS,
        WEBHOOKS,
    ]


def test_the_queues_have_the_semantics_of_the_local_bus() -> None:
    queue = block(text("modules/servicebus.bicep"), "resource queues ")
    defaults = Settings()
    assert property_value(queue, "requiresSession") == "true"
    assert int(property_value(queue, "maxDeliveryCount")) == MAX_DELIVERY_COUNT
    assert defaults.bus_max_delivery_count == MAX_DELIVERY_COUNT
    assert _seconds(property_value(queue, "lockDuration")) == defaults.bus_lock_duration_seconds
    assert property_value(queue, "requiresDuplicateDetection") == "true"
    assert (
        _seconds(property_value(queue, "duplicateDetectionHistoryTimeWindow"))
        == defaults.bus_duplicate_window_seconds
    )
    assert _seconds(property_value(queue, "defaultMessageTimeToLive")) == (
        defaults.command_ttl_seconds
    )
    assert property_value(queue, "deadLetteringOnMessageExpiration") == "true"


@pytest.mark.parametrize("runtime", ["workers", "ingress"])
def test_every_app_setting_is_one_the_code_or_the_platform_reads(runtime: str) -> None:
    unknown = _bicep_settings()[runtime] - _setting_names() - PLATFORM_SETTINGS
    assert unknown == set(), f"{runtime} gets settings nothing reads: {sorted(unknown)}"


@pytest.mark.parametrize("runtime", ["workers", "ingress"])
def test_each_runtime_gets_the_azure_endpoints_and_its_identity(runtime: str) -> None:
    assert _setting_names() >= AZURE_ENDPOINTS
    missing = AZURE_ENDPOINTS - _bicep_settings()[runtime]
    assert missing == set(), f"{runtime} lacks {sorted(missing)}"


def test_the_literal_setting_values_are_ones_the_settings_accept() -> None:
    settings = block(text("main.bicep"), "var serviceSettings =")
    literal: dict[str, Any] = {}
    for line in settings.splitlines():
        match = re.match(r"\s*([A-Z_]+):\s*'([^']*)'\s*$", line)
        if match:
            literal[match.group(1).lower()] = match.group(2)
    assert literal["bus_adapter"] == "azure" and literal["credentials"] == "managed_identity"
    Settings.model_validate(literal)  # raises if a value is not one the settings allow


def test_the_ingress_verifies_rs256_tokens_from_the_identity_provider() -> None:
    ingress = block(block(text("main.bicep"), "module ingress "), "union(serviceSettings,")
    assert property_value(ingress, "JWT_ALGORITHM") == "RS256"
    assert property_value(ingress, "JWT_OPENID_CONFIG_URL") == "jwtOpenIdConfigUrl"


def test_the_cosmos_containers_are_the_layouts_all_partitioned_by_tenant() -> None:
    tree = ast.parse((ROOT / "shared/adapters/azure/cosmos_layout.py").read_text())
    constants = {
        node.targets[0].id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    } | {
        node.target.id: node.value
        for node in tree.body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value
    }
    documents = ast.literal_eval(constants["DOCUMENTS"])
    own = set(ast.literal_eval(constants["CONTAINER_OF"]).values())
    partition = ast.literal_eval(constants["PARTITION_KEY_PATH"])
    cosmos = text("modules/cosmos.bicep")
    assert set(string_array_param(cosmos, "containerNames")) == {documents, *own}
    assert f"paths: ['{partition}']" in cosmos


def _trigger_options() -> tuple[str, list[dict[str, Any]]]:
    """`CONNECTION` and the options of every Service Bus trigger, as the worker indexes them."""
    from functions.app import CONNECTION
    from tests.functions.indexed import indexed

    triggers = [
        {
            "queue_name": binding["queueName"],
            "connection": binding["connection"],
            "is_sessions_enabled": binding["isSessionsEnabled"],
        }
        for bindings, _ in indexed().values()
        for binding in bindings["bindings"]
        if binding["type"] == "serviceBusTrigger"
    ]
    return CONNECTION, triggers


def test_the_functions_triggers_use_the_bicep_queues_and_connection() -> None:
    connection, triggers = _trigger_options()
    assert triggers, "functions/app.py has no Service Bus trigger"
    queues = string_array_param(text("modules/servicebus.bicep"), "queueNames")
    for trigger in triggers:
        assert trigger["queue_name"] in queues
        assert trigger["connection"] == connection
        assert trigger["is_sessions_enabled"] is True
    assert f"{connection}__fullyQualifiedNamespace" in _bicep_settings()["workers"]


def _host() -> dict[str, Any]:
    path = ROOT / "host.json"
    if not path.exists():
        pytest.skip("host.json does not exist yet (issue 5)")
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def test_host_json_lets_the_pipeline_settle_and_outlasts_a_handler() -> None:
    host = _host()
    defaults = Settings()
    service_bus = host["extensions"]["serviceBus"]
    assert host["version"] == "2.0"
    assert service_bus["autoCompleteMessages"] is False
    assert _seconds(host["functionTimeout"]) >= defaults.handler_timeout_seconds
    assert _seconds(service_bus["maxAutoLockRenewalDuration"]) >= defaults.handler_timeout_seconds


def test_the_runtime_versions_match_the_project() -> None:
    functions = block(text("modules/functions.bicep"), "functionAppConfig:")
    assert "runtime: { name: 'python', version: '3.11' }" in functions
    assert text("ingress.Dockerfile").count("FROM python:3.11-slim") == 1
    assert 'requires-python = ">=3.11"' in (ROOT / "pyproject.toml").read_text()
