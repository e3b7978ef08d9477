"""Real peers started as child processes: the tests, the benchmarks and the demo lane all
use them, so they live here and not under ``tests/``.

``processes``: the process wrapper, socat pty pairs, the pymodbus server and the scripted
serial board; ``mqtt``: mosquitto on a free port and a TCP fault proxy; ``gated_proc``:
gated itself as a child process, with its control-socket client.
"""
