"""The measuring window of a benchmark client, reported the way the Swift harness measures its own clients.

The harness runs each Python client as a subprocess and reads one JSON line from its standard output: the
messages, the seconds between the marks, the process's own CPU time and voluntary context switches over the same
window (resource.getrusage of this process, so the interpreter's start-up and the group join are not counted),
and its peak resident set: VmHWM from /proc/self/status, the peak of this process's own memory since exec (the
subprocess runs one case, so its peak is the case's). ru_maxrss would not do: Linux carries the spawning
process's high-water mark over into it.
"""

import json
import resource
import sys
import time


class Meter:
    """Marks the start (once) and the end of the measured work."""

    def __init__(self):
        self._start = None
        self._end = None

    def begin(self):
        if self._start is None:
            self._start = (time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF))

    def finish(self):
        self._end = (time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF))

    def report(self, messages):
        """Prints the result line the harness parses."""
        (t0, r0), (t1, r1) = self._start, self._end
        print(json.dumps({
            "messages": messages,
            "seconds": t1 - t0,
            "cpu_seconds": (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime),
            "voluntary_switches": r1.ru_nvcsw - r0.ru_nvcsw,
            "peak_rss_kib": peak_rss_kib(),
        }))
        sys.stdout.flush()


def peak_rss_kib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def fail(message):
    """Ends the client with a message the harness shows in the case's error row."""
    print(message, file=sys.stderr)
    sys.exit(1)
