"""The mutation catalogue: small bugs a future change might bring into a guard, and the tests
that must fail when one does (run by `scripts/mutants`).

Each mutant replaces one exact snippet of one file (it must occur exactly once, so the catalogue
cannot silently rot when the code moves) and names the pytest arguments that must catch it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    """One small bug: `old` becomes `new` in `path`; running `tests` must fail."""

    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


GUARDS = "tests/unit/test_guards.py::"
PIPELINE = "tests/unit/test_pipeline.py::"
TOKENS = "tests/unit/test_token_verifier.py::"
CODEC = "tests/unit/test_json_codec.py::"
BAD_INPUT = "tests/unit/test_bad_input.py::"
ENDS = "tests/unit/test_every_job_ends.py::"

CATALOGUE: tuple[Mutant, ...] = (
    # --- tenancy: tenant conditions in every adapter ---------------------------------------
    Mutant(
        "cosmos: no tenant check after a point read",
        "shared/adapters/azure/cosmos.py",
        'if item.get("tenantId") != self._tenant or item.get("collection") != collection:',
        'if item.get("collection") != collection:',
        (GUARDS + "test_the_cosmos_adapter_drops_another_tenants_row_after_a_point_read",),
    ),
    Mutant(
        "cosmos: no tenant filter on list results",
        "shared/adapters/azure/cosmos.py",
        'items = [i for i in items if i.get("tenantId") == self._tenant][: limit + 1]',
        "items = items[: limit + 1]",
        (GUARDS + "test_the_cosmos_adapter_drops_another_tenants_rows_from_a_listing",),
    ),
    Mutant(
        "local store: UPDATE without its tenant condition",
        "shared/adapters/local/store.py",
        '"UPDATE documents SET etag=?, body=? WHERE tenant_id=? AND collection=? AND id=?"',
        '"UPDATE documents SET etag=?, body=? WHERE (tenant_id=? OR 1) AND collection=? AND id=?"',
        (GUARDS + "test_a_replace_changes_only_the_callers_document_of_an_id_two_tenants_hold",),
    ),
    Mutant(
        "local store: DELETE without its tenant condition",
        "shared/adapters/local/store.py",
        '"DELETE FROM documents WHERE tenant_id=? AND collection=? AND id=?"',
        '"DELETE FROM documents WHERE (tenant_id=? OR 1) AND collection=? AND id=?"',
        (GUARDS + "test_a_delete_removes_only_the_callers_document_of_an_id_two_tenants_hold",),
    ),
    Mutant(
        "local search: text query without its tenant condition",
        "shared/adapters/local/search.py",
        "WHERE docs_text MATCH ? AND d.tenant_id = ?{where}",
        "WHERE docs_text MATCH ? AND (d.tenant_id = ? OR 1){where}",
        (
            "tests/contract/test_search_contract.py::"
            "test_the_seed_isolation_case_finds_nothing_of_another_tenant[sqlite]",
        ),
    ),
    Mutant(
        "local blobs: one area for every tenant",
        "shared/adapters/local/blobs.py",
        "return LocalTenantBlobs(self.root / tenant_id)",
        'return LocalTenantBlobs(self.root / "shared")',
        (
            "tests/contract/test_blob_contract.py::"
            "test_two_tenants_keep_their_own_bytes_under_the_same_name[local]",
        ),
    ),
    # --- tenancy: the worker's re-check, fields refused, tokens ------------------------------
    Mutant(
        "worker: no session re-check",
        "workers/pipeline.py",
        "if not is_command_session(delivery.session_id, tenant.id):",
        "if False:",
        (PIPELINE + "test_a_command_in_another_tenants_session_is_dead_lettered_untouched",),
    ),
    Mutant(
        "worker: a tenant missing from the registry is served",
        "workers/pipeline.py",
        "        if tenant is None:\n",
        "        if tenant is None and False:\n",
        (PIPELINE + "test_a_tenant_not_in_the_registry_is_dead_lettered",),
    ),
    Mutant(
        "contracts: tenant fields in a body accepted",
        "shared/contracts/metadata.py",
        "if key in TENANT_FIELDS or key.lower() in TENANT_FIELDS:",
        "if False:",
        ("tests/unit/test_boundary_violations.py",),
    ),
    Mutant(
        "JWT: exp not checked",
        "shared/tokens.py",
        'if _numeric_date(payload, "exp") <= now - leeway:',
        "if False:",
        (TOKENS + "test_an_expired_token_is_refused",),
    ),
    Mutant(
        "JWT: aud not checked",
        "shared/tokens.py",
        'if not isinstance(payload["aud"], str) or payload["aud"] != settings.jwt_audience:',
        'if not isinstance(payload["aud"], str):',
        (TOKENS + "test_an_audience_other_than_the_configured_one_is_refused",),
    ),
    # --- effects once ------------------------------------------------------------------------
    Mutant(
        "idempotency: keys shared across tenants",
        "ingress/submit.py",
        "reservation = await idempotency.reserve(\n                scope.store,",
        "reservation = await idempotency.reserve(\n"
        '                self._services.store.for_tenant("idempotency"),',
        (GUARDS + "test_an_idempotency_key_is_scoped_to_the_tenant",),
    ),
    Mutant(
        "ledger: a command that took effect runs again",
        "workers/pipeline.py",
        "if ended and envelope.replay is None:",
        "if False:",
        (GUARDS + "test_the_ledger_runs_a_command_that_took_effect_never_again",),
    ),
    Mutant(
        "derived ids: a created item's id is new on each run",
        "workers/handlers/items.py",
        'derived_id("item", ctx.command_id)',
        'derived_id("item", ctx.command_id, str(id(ctx)))',
        (GUARDS + "test_an_item_without_an_id_gets_the_one_derived_from_its_command",),
    ),
    # --- durability --------------------------------------------------------------------------
    Mutant(
        "ingress: 202 before the bus has the command",
        "ingress/submit.py",
        "await self._services.bus.send(COMMANDS, [message])",
        '__import__("asyncio").ensure_future(self._services.bus.send(COMMANDS, [message]))',
        ("tests/faults/test_bus_outage.py",),
    ),
    # --- signing and SSRF --------------------------------------------------------------------
    Mutant(
        "signing: the signature is not over the body sent",
        "shared/webhooks/signing.py",
        "Webhook(key).sign(webhook_id, at, body)",
        'Webhook(key).sign(webhook_id, at, body + " ")',
        (
            "tests/unit/test_webhook_delivery.py::"
            "test_a_delivery_is_signed_so_a_standard_webhooks_receiver_verifies_it",
        ),
    ),
    Mutant(
        "SSRF: no address family refused",
        "shared/ssrf.py",
        "return next((family for matched, family in checks if matched), None)",
        "return None",
        ("tests/unit/test_ssrf.py",),
    ),
    Mutant(
        "SSRF: IPv4-mapped IPv6 let through",
        "shared/ssrf.py",
        'return "IPv4-mapped IPv6"',
        "pass",
        ("tests/unit/test_ssrf.py",),
    ),
    # --- replay ids --------------------------------------------------------------------------
    Mutant(
        "dlq replay: a copy's id is new on each replay",
        "shared/recovery/deadletters.py",
        'message_id=derived_id("rpl", dead.message_id, str(dead.sequence_number)),',
        'message_id=derived_id("rpl", dead.message_id, str(id(dead))),',
        (GUARDS + "test_a_replayed_dead_letters_copy_has_the_same_id_every_time",),
    ),
    Mutant(
        "journal replay: the same id on every replay (the second is dropped as a duplicate)",
        "shared/recovery/journal.py",
        'message_id=derived_id("rpl", envelope.command_id, replay_id)',
        'message_id=derived_id("rpl", envelope.command_id)',
        ("tests/unit/test_journal_replay.py",),
    ),
    Mutant(
        "dead letters: a dead-lettered job can never be replayed",
        "shared/jobs.py",
        "return job.status.terminal and not dead_lettered(job)",
        "return job.status.terminal",
        (ENDS + "test_a_replayed_dead_letter_takes_its_failed_job_to_success",),
    ),
    # --- guards added for issue 11 -----------------------------------------------------------
    Mutant(
        "codec: no depth limit",
        "shared/contracts/json_codec.py",
        "        if kind is dict:\n            if depth >= limits.max_depth:",
        "        if kind is dict:\n            if False:",
        (CODEC + "test_nesting_past_the_limit_is_refused_as_too_deep_and_never_crashes",),
    ),
    Mutant(
        "codec: duplicate names merged",
        "shared/contracts/json_codec.py",
        'elif raw.count(b":") - colons_in_strings != members:',
        "elif False:",
        (CODEC + "test_each_rule_is_refused_with_its_own_kind",),
    ),
    Mutant(
        "codec: duplicate names written with an escaped colon merged",
        "shared/contracts/json_codec.py",
        "    if len(merged) != len(pairs):",
        "    if False:",
        (CODEC + "test_each_rule_is_refused_with_its_own_kind",),
    ),
    Mutant(
        "codec: integers past 2**53 accepted",
        "shared/contracts/json_codec.py",
        "elif kind is int and not -MAX_SAFE_INTEGER <= node <= MAX_SAFE_INTEGER:",
        "elif False:",
        (CODEC + "test_each_rule_is_refused_with_its_own_kind",),
    ),
    Mutant(
        "codec: no size limit",
        "shared/contracts/json_codec.py",
        "if len(raw) > limits.max_bytes:",
        "if False:",
        (CODEC + "test_each_rule_is_refused_with_its_own_kind",),
    ),
    Mutant(
        "ingress: a body read without the codec",
        "ingress/json_body.py",
        "return await handle(await decoded_request(request))",
        "return await handle(request)",
        (BAD_INPUT + "test_json_the_codec_refuses_is_a_422_problem_and_never_stored_changed",),
    ),
    Mutant(
        "ingress: a non-JSON media type read as JSON",
        "ingress/json_body.py",
        'if not is_json(request.headers.get("content-type")):',
        "if False:",
        (BAD_INPUT + "test_a_json_route_sent_another_media_type_is_415_saying_what_to_send",),
    ),
    Mutant(
        "worker: envelopes decoded by other rules than the ingress's",
        "shared/contracts/envelope.py",
        "return cls.model_validate(json_codec.decode(raw, json_codec.ENVELOPE))",
        "return cls.model_validate_json(raw)",
        (CODEC + "test_the_worker_decodes_envelopes_with_the_same_rules",),
    ),
    Mutant(
        "idempotency: a reservation kept when nothing was enqueued",
        "ingress/submit.py",
        "            if reservation is not None:\n"
        "                await idempotency.release(scope.store, reservation)\n"
        "            if isinstance(exc, MessageTooLarge):",
        "            if isinstance(exc, MessageTooLarge):",
        (BAD_INPUT + "test_an_idempotency_key_is_released_when_enqueueing_fails_unexpectedly",),
    ),
    Mutant(
        "dead letters: the tenant taken from the message, not its session",
        "workers/dead_lettered_jobs.py",
        "services, dead.session_id, job_id, dead.reason or UNNAMED_REASON, dead.description",
        'services, str(dead.application_properties.get("tenantId")), job_id, dead.reason, "",',
        (ENDS + "test_a_dead_letter_cannot_end_a_job_of_a_tenant_its_session_does_not_name",),
    ),
    Mutant(
        "worker: an undecodable message leaves its job for the scan",
        "workers/pipeline.py",
        "            await fail_job_named(\n",
        "            _ = (\n",
        (ENDS + "test_the_worker_fails_the_job_of_a_message_it_cannot_decode_at_once",),
    ),
    Mutant(
        "dead letters: no job failed",
        "workers/dead_lettered_jobs.py",
        "failed += await fail_job_of(self._services, dead)",
        "pass",
        (ENDS + "test_a_command_expired_on_the_bus_fails_its_job_with_the_reason",),
    ),
    Mutant(
        "dead letters: a job that ended is failed again",
        "shared/jobs.py",
        "        if job.status.terminal:\n            return job\n        failed",
        "        failed",
        (ENDS + "test_a_dead_letter_never_changes_a_job_that_ended",),
    ),
    Mutant(
        "sweeper: jobs expired before their time to live",
        "workers/sweeper.py",
        "if job.created_date_time > cutoff:",
        "if False:",
        (ENDS + "test_a_job_left_not_started_past_the_ttl_fails_expired_not_a_moment_before",),
    ),
    Mutant(
        "cancel: a worker claims a job without its etag (a cancel and the effect both win)",
        "shared/optimistic.py",
        "return await store.replace(collection, doc, if_match=str(read[ETAG]))",
        "return await store.replace(collection, doc)",
        (
            "tests/unit/test_job_cancel.py::test_a_cancel_racing_the_worker_ends_one_way_or_the_other_never_both",
        ),
    ),
    Mutant(
        "journal replay: a processed file's passages not rebuilt",
        "workers/handlers/files.py",
        'ctx.envelope.replay == "journal"\n            and done.status == "processed"',
        'False\n            and done.status == "processed"',
        ("tests/integration/test_replay_rebuilds_index.py",),
    ),
)
