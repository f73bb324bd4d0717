"""Search: many seeds (`explore`) and generated fault plans (`chaos`) per scenario, judged by invariants and
expectations, a failure shrunk to a minimal plan and written out as a replayable scenario.

    python -m harness explore scenarios/replies --seeds 1..200
    python -m harness chaos scenarios/messages/send_fails_rolls_back.yaml --budget 200

Modules: `executor` (runs jobs: harness.runner's warm pool, or serially here), `verdict` (what failed),
`sites` (what a clean run reaches), `plans` (hypothesis strategies for fault plans), `seeded` (hypothesis draws
from the search seed alone, whatever the process imported before), `shrink`, `found`
(scenarios/found/ writer), `shard` (`--shard i/N`), `explore` and `chaos` (the subcommands).
Kept import-light: `harness.scenario.model` imports `settings` from here.
"""
