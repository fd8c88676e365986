"""The benches: scripts that measure the bot and print figures (they assert nothing).

Each bench is a module of this package, run from the repository's root::

    python -m bench.delivery --only own --seconds 5
    python -m bench.load --help            # every bench lists its options

A bench prints its figures, one line each, with what they were measured on (the machine, the
load average, the command): docs/performance.md quotes them beside the command that printed
them. Speed targets live here, never in a unit test: on a shared machine a rate is a
measurement, not a truth.

Every bench also takes ``--smoke``: the same code path at a tiny size (a handful of chats,
messages or sessions, a second or two of running), still printing its figure lines, which at
that size mean nothing. tests/bench/test_smoke.py runs each one that way, so none rots.

Each module has ``build_parser()`` (its options; tests/test_docs.py checks the commands the
documentation names against it) and ``main(argv)``. bench/_common.py holds what they share.
"""
