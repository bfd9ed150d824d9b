"""The life of a run in the run store: its statuses, and why a running run was asked to stop.

The one home of these names: the store checks them, the job workers set them, the training page
shows them. Torch-free, so that the app can import it without torch.

    queued -> running -> finished | stopped | failed
    running -> interrupted    when its worker process is gone (store.mark_interrupted)
    stopped | interrupted | failed -> queued    when resumed (store.requeue)
"""

from __future__ import annotations

STATUSES = ("queued", "running", "finished", "stopped", "interrupted", "failed")
TERMINAL = ("finished", "stopped", "failed", "interrupted")  # the run has ended: nothing will change it
RESUMABLE = ("stopped", "interrupted", "failed")  # can be queued again, to continue from its checkpoint

# runs.stop_requested: 0 go on; the user's stop (-> stopped); the app is shutting down (-> queued again,
# to resume from its checkpoint when the app is back)
STOP_BY_USER, STOP_FOR_SHUTDOWN = 1, 2
