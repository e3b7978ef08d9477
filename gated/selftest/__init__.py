"""The hardware self-test: one check per device and function, pass/warn/fail, a remedy each.

    from gated.selftest import run_selftest          # central's selftest.run: await run_selftest(app)
    from gated.selftest import run_standalone, Options

``gatectl selftest`` runs it through the running daemon (control socket ``selftest``) or,
with gated stopped, opens the devices itself. See README.md, "Field engineer's page".
"""

from gated.selftest.context import Options
from gated.selftest.report import Report, Result
from gated.selftest.runner import FAMILIES, run_in_daemon, run_selftest, run_standalone

__all__ = ["FAMILIES", "Options", "Report", "Result", "run_in_daemon", "run_selftest",
           "run_standalone"]
