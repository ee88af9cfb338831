"""Agents: create and delete, in the engine and in the read model."""

from __future__ import annotations

from shared.contracts.commands import AgentCreate, AgentDelete
from shared.contracts.resources import AGENTS, Agent, present
from shared.ports.engine import AgentDefinition
from workers.context import HandlerContext, Outcome
from workers.effects import delete_once


def definition(agent: Agent) -> AgentDefinition:
    """What the engine needs of an agent read model."""
    return AgentDefinition(
        agent_id=agent.id,
        name=agent.name,
        instructions=agent.instructions,
        model=agent.model,
        tools=[tool.model_dump(exclude_none=True) for tool in agent.tools],
    )


async def create_agent(cmd: AgentCreate, ctx: HandlerContext) -> Outcome:
    """Create the agent in the engine, then its read model."""
    agent = Agent(
        **ctx.new_resource("asst", cmd.metadata),
        name=cmd.name,
        instructions=cmd.instructions,
        model=cmd.model,
        tools=cmd.tools,
    )
    done = await ctx.scope.store.get(AGENTS, agent.id)
    if done is not None:  # a redelivery after the effect: do not make a second version
        return Outcome(result=present(Agent, done), location=f"/agents/{agent.id}")
    engine_ref = await ctx.scope.engine.create_agent(definition(agent))
    doc = agent.model_dump(mode="json") | {"engine_ref": engine_ref}
    stored, _ = await ctx.scope.store.create_if_absent(AGENTS, doc)
    return Outcome(result=present(Agent, stored), location=f"/agents/{agent.id}")


async def delete_agent(cmd: AgentDelete, ctx: HandlerContext) -> Outcome:
    """Delete from the engine and the read model; another tenant's agent is NotFound."""
    store = ctx.scope.store
    existing = await store.get(AGENTS, cmd.agent_id)
    if existing is not None:
        await ctx.scope.engine.delete_agent(str(existing.get("engine_ref") or cmd.agent_id))
    await delete_once(store, AGENTS, cmd.agent_id, kind="Agent", command_id=ctx.command_id)
    return Outcome(result={"id": cmd.agent_id, "object": "assistant.deleted", "deleted": True})
