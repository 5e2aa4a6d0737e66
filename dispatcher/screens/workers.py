"""What the screens share about their thread workers: one `Worker.StateChanged` handler.

Every worker runs with `exit_on_error=False`, so a failure never takes the console down;
`WorkerErrors` turns it into one line of text the screen shows where it shows its
messages (`show_worker_error`): one handler for every screen.
"""

from __future__ import annotations

from typing import Any

from textual.worker import Worker, WorkerState

from dispatcher.domain.errors import DispatcherError
from dispatcher.screens.context import ConsoleClosingError


def error_text(error: BaseException) -> str:
    """A refusal of ours says what it means; anything else is named for the bug report."""
    return str(error) if isinstance(error, DispatcherError) else f"failed: {error!r}"


class WorkerErrors:
    """Mix into a screen (before `Screen`/`ModalScreen`) and implement `show_worker_error`."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        error = event.worker.error
        if isinstance(error, ConsoleClosingError):
            return  # quitting before the store was opened: nothing to tell
        if event.state == WorkerState.ERROR and error is not None:
            self.show_worker_error(event.worker, error_text(error))

    def show_worker_error(self, worker: Worker[Any], text: str) -> None:
        raise NotImplementedError
