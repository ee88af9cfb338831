"""The clients' public operations, listed once: `TenantryClient` and `AsyncTenantryClient`
inherit them and differ only in how they send (`_methods.py`)."""

from __future__ import annotations

from tenantry_client import _operations as op
from tenantry_client._methods import Operation


class Operations:
    """Every operation of the service, as a method (see `_operations.py` for each one)."""

    # agents
    begin_create_agent = Operation(op.begin_create_agent)
    get_agent = Operation(op.get_agent)
    list_agents = Operation(op.list_agents)
    begin_delete_agent = Operation(op.begin_delete_agent)

    # threads, messages, runs
    begin_create_thread = Operation(op.begin_create_thread)
    get_thread = Operation(op.get_thread)
    begin_delete_thread = Operation(op.begin_delete_thread)
    begin_create_message = Operation(op.begin_create_message)
    list_messages = Operation(op.list_messages)
    begin_create_run = Operation(op.begin_create_run)
    get_run = Operation(op.get_run)
    list_runs = Operation(op.list_runs)

    # jobs
    get_job = Operation(op.get_job)
    list_jobs = Operation(op.list_jobs)
    cancel_job = Operation(op.cancel_job)

    # files
    begin_upload_file = Operation(op.begin_upload_file)
    get_file = Operation(op.get_file)
    download_file = Operation(op.download_file)
    list_files = Operation(op.list_files)
    begin_delete_file = Operation(op.begin_delete_file)

    # search
    begin_index_documents = Operation(op.begin_index_documents)
    search = Operation(op.search)

    # webhooks
    create_webhook = Operation(op.create_webhook)
    delete_webhook = Operation(op.delete_webhook)
