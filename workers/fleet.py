"""The local fleet: N worker processes, restarted if one dies, stopped gracefully."""

from __future__ import annotations

from shared.process_group import ProcessGroup
from shared.settings import Settings
from workers.process import main as worker_main


class Fleet(ProcessGroup):
    """Supervises worker processes (spawned, so they share nothing but the data files).

    Each worker ends with the process that supervises it, however that one ends
    (`shared.spawned`); its unsettled messages return when their session locks expire.
    """

    def __init__(self, settings: Settings, processes: int) -> None:
        super().__init__(worker_main, (settings,), processes, "tenantry-worker")
