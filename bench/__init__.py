"""The aiomotorengine benchmark: raw PyMongo versus aiomotorengine, in one process, one run.

``python -m bench`` (or ``make bench``) runs workloads W1..W6 in two modes, client overhead
against a canned-reply wire-protocol server (:mod:`bench.wire_server`) and end to end against
the embedded server, and writes ``bench/results/RESULTS.md`` and ``bench/results/ratios.png``.
"""
