"""Hypothesis profiles of the fuzz tests.

``ci`` (the default) is derandomized and bounded so the fuzz tests take a few
tens of seconds; ``HYPOTHESIS_PROFILE=thorough`` runs many more random examples.
Every fuzz test prints how many examples it ran (``pytest -s`` shows them).
"""

from __future__ import annotations

import importlib.util
import os

if importlib.util.find_spec("hypothesis") is None:
    # requirements_test.txt installs it; without it the fuzz tests are left out.
    collect_ignore_glob = ["test_*.py"]
else:
    import hypothesis

    hypothesis.settings.register_profile(
        "ci",
        derandomize=True,
        database=None,
        deadline=None,
        print_blob=True,
        suppress_health_check=[
            hypothesis.HealthCheck.too_slow,
            hypothesis.HealthCheck.data_too_large,
            hypothesis.HealthCheck.function_scoped_fixture,
        ],
    )
    hypothesis.settings.register_profile(
        "thorough",
        parent=hypothesis.settings.get_profile("ci"),
        derandomize=False,
        max_examples=20_000,
    )
    hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
