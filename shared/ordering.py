"""Order keys: which of a tenant's commands must keep their relative order (lanes).

A bus session is FIFO and served by one receiver at a time. With one lane (the default) every
command of a tenant goes to the tenant's session and takes effect in the order it was accepted.
A tenant given N lanes (`Tenant.lanes`) trades that total order for parallelism: its commands
spread over the sessions `tenant:0` ... `tenant:N-1` by their order key (`shared.queues.
session_for`), and only commands with the same key keep their order.

The key is the resource a command changes (each command model declares its `order_key()`),
so everything on one resource stays in order:

- a thread: its messages, its runs (and their polls, which follow the run's session), its
  deletion;
- an item (`container/id`), an agent, a file;
- the tenant's search documents, as one resource: an index request names many documents, and
  a later delete of any of them must not overtake it.

A command that creates a resource whose id the service makes (a thread, an agent, an item
without an id) cannot be ordered against anything the client sends next, since the client
learns the id only from the finished job; its key is fresh, so creations spread over every lane.
What lanes give up is order between different resources: a run started on a thread and an
agent deleted just after may take effect in either order.
"""

from __future__ import annotations

import secrets

SEARCH_DOCUMENTS = "documents"
"""The one key of every search-document command of a tenant."""


def thread_key(thread_id: str) -> str:
    """The key of every command on one thread."""
    return f"thread/{thread_id}"


def item_key(container: str, item_id: str) -> str:
    """The key of every command on one item."""
    return f"item/{container}/{item_id}"


def fresh_key() -> str:
    """A key no other command has: the command may run in any lane."""
    return f"new/{secrets.token_hex(8)}"
