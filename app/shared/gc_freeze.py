"""Keep Python's full garbage collections short on a long-running server.

Once streamlit, plotly, pandas, NumPy and the app are imported, the server process tracks about 120,000
objects (250,000 with torch, after the Training page). A full collection walks all of them while it
holds the GIL: 70-90 ms on a 2-core machine, and the garbage of a few Playground reruns is enough to
set one off. That pause stops every session on the server, not only the one that caused it, and it
was the largest single delay between a slider move and the redrawn map.

Modules and what they define never become garbage. So whenever a run has imported new modules, this
collects once and moves every object that exists into the permanent generation (`gc.freeze`); later
collections walk only what the sessions create. Each page's first visit pays one collection; cycles
that were alive at that moment and die later are never freed, a negligible leak for a handful of
freezes per process.
"""

from __future__ import annotations

import gc
import sys
import threading

_lock = threading.Lock()
_modules_at_last_freeze = 0


def freeze_imports() -> bool:
    """Collect and freeze if modules were imported since the last call; True if it froze."""
    global _modules_at_last_freeze
    with _lock:
        if len(sys.modules) == _modules_at_last_freeze:
            return False
        gc.collect()
        gc.freeze()
        _modules_at_last_freeze = len(sys.modules)
        return True
