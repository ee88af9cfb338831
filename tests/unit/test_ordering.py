"""Order keys and lane sessions: which commands keep their order, and where they are sent."""

from __future__ import annotations

import pytest
from azure.servicebus import ServiceBusMessage
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from shared.contracts.commands import (
    COMMANDS,
    AgentCreate,
    AgentDelete,
    Command,
    DocumentDelete,
    DocumentsIndex,
    FileCreate,
    FileDelete,
    ItemCreate,
    ItemDelete,
    ItemUpdate,
    MessageCreate,
    RunCancel,
    RunCreate,
    RunPoll,
    RunStart,
    ThreadCreate,
    ThreadDelete,
)
from shared.ordering import thread_key
from shared.queues import MAX_LANES, is_command_session, session_for, tenant_of_session
from shared.tenancy import Tenant, TenantRegistry

FILE_ID = "file_" + "ab" * 12
EXAMPLES: dict[str, Command] = {
    "agent.create": AgentCreate(name="helper"),
    "agent.delete": AgentDelete(agent_id="asst_1"),
    "thread.create": ThreadCreate(),
    "thread.delete": ThreadDelete(thread_id="thread_1"),
    "message.create": MessageCreate(thread_id="thread_1", content="hi"),
    "run.create": RunCreate(thread_id="thread_1", agent_id="asst_1"),
    "run.poll": RunPoll(thread_id="thread_1", run_id="run_1", job_id="job_1"),
    "run.cancel": RunCancel(thread_id="thread_1", run_id="run_1"),
    "run.start": RunStart(thread_id="thread_1", run_id="run_1", job_id="job_1"),
    "item.create": ItemCreate(container="notes", item={"id": "n1"}),
    "item.update": ItemUpdate(container="notes", item_id="n1", patch={"x": 1}),
    "item.delete": ItemDelete(container="notes", item_id="n1"),
    "file.create": FileCreate(
        file_id=FILE_ID,
        filename="a.txt",
        purpose="assistants",
        content_type="text/plain",
        bytes=1,
        sha256="0" * 64,
    ),
    "file.delete": FileDelete(file_id=FILE_ID),
    "document.index": DocumentsIndex.model_validate({"documents": [{"id": "d1", "content": "x"}]}),
    "document.delete": DocumentDelete(doc_id="d1"),
}


def order_key(command: Command) -> str:
    return command.order_key()


TENANT_IDS = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}\Z")


def test_every_command_type_has_an_order_key() -> None:
    assert set(EXAMPLES) == set(COMMANDS)
    for command_type, command in EXAMPLES.items():
        assert isinstance(command, COMMANDS[command_type])
        assert order_key(command)


def test_every_command_on_one_thread_shares_its_key_and_runs_polls_follow_it() -> None:
    on_thread = [
        "thread.delete",
        "message.create",
        "run.create",
        "run.poll",
        "run.cancel",
        "run.start",
    ]
    assert {order_key(EXAMPLES[t]) for t in on_thread} == {thread_key("thread_1")}
    other = MessageCreate(thread_id="thread_2", content="hi")
    assert order_key(other) != thread_key("thread_1")


def test_an_items_create_update_and_delete_share_a_key_per_container_and_id() -> None:
    keys = {order_key(EXAMPLES[t]) for t in ("item.create", "item.update", "item.delete")}
    assert len(keys) == 1
    elsewhere = ItemUpdate(container="todo", item_id="n1", patch={"x": 1})
    assert order_key(elsewhere) not in keys


def test_creations_whose_id_the_service_makes_get_a_fresh_key_each() -> None:
    for command in (ThreadCreate(), AgentCreate(name="a"), ItemCreate(container="n", item={})):
        assert order_key(command) != order_key(command)


def test_every_search_document_command_shares_one_key() -> None:
    other = DocumentDelete(doc_id="d2")
    assert order_key(EXAMPLES["document.index"]) == order_key(other)


def test_a_file_and_an_agent_are_each_ordered_by_their_id() -> None:
    assert order_key(EXAMPLES["file.create"]) == order_key(EXAMPLES["file.delete"])
    assert order_key(AgentDelete(agent_id="asst_1")) != order_key(AgentDelete(agent_id="asst_2"))


def test_with_one_lane_every_command_goes_to_the_tenants_own_session() -> None:
    for command in EXAMPLES.values():
        assert session_for("contoso", lanes=1, key=order_key(command)) == "contoso"
    assert session_for("contoso", lanes=4, key=None) == "contoso"


def test_keys_spread_over_exactly_the_tenants_lanes() -> None:
    sessions = {session_for("contoso", lanes=4, key=thread_key(f"t{i}")) for i in range(200)}
    assert sessions == {"contoso:0", "contoso:1", "contoso:2", "contoso:3"}


@given(tenant=TENANT_IDS, lanes=st.integers(1, MAX_LANES), key=st.text(max_size=300))
def test_a_lane_session_is_stable_the_tenants_own_and_one_service_bus_accepts(
    tenant: str, lanes: int, key: str
) -> None:
    session = session_for(tenant, lanes=lanes, key=key)
    assert session == session_for(tenant, lanes=lanes, key=key)
    assert is_command_session(session, tenant)
    assert tenant_of_session(session) == tenant
    assert ServiceBusMessage(b"{}", session_id=session).session_id == session


@pytest.mark.parametrize(
    "session",
    [
        "fabrikam",
        "fabrikam:1",
        "contosoX:1",
        "contoso:",
        "contoso:01",
        "contoso:-1",
        "contoso:64",
        "contoso:\u00b9",
        "contoso:1:2",
        "contoso:wh_0123",
        "",
    ],
)
def test_a_session_that_is_not_the_tenant_or_one_of_its_lanes_is_not_the_tenants(
    session: str,
) -> None:
    assert not is_command_session(session, "contoso")


def test_a_tenant_id_with_a_colon_is_refused_so_no_lane_can_name_another_tenant() -> None:
    with pytest.raises(ValidationError):
        TenantRegistry.from_json('[{"id": "contoso"}, {"id": "contoso:1"}]')
    with pytest.raises(ValidationError):
        Tenant(id="contoso", lanes=MAX_LANES + 1)
