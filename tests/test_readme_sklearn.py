"""The README's Pipeline + GridSearchCV example (issue 17) runs as written: the code block
after the ``readme-sklearn-example`` marker is executed, and what it fits is checked."""
import pathlib
import re

import pytest

pytest.importorskip("sklearn")

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def _example() -> str:
    text = README.read_text()
    m = re.search(r"<!-- readme-sklearn-example[^>]*-->\s*```python\n(.*?)```", text, re.S)
    assert m, "README lost its scikit-learn example (the readme-sklearn-example marker)"
    return m.group(1)


def test_readme_pipeline_gridsearch_example(capsys):
    namespace = {}
    exec(compile(_example(), str(README), "exec"), namespace)
    search, est, X = namespace["search"], namespace["est"], namespace["X"]
    assert X.shape == (442, 4)                              # bundled data, d >= 4
    assert search.best_params_["tvreluregressor__lam"] in (1.0, 10.0)
    assert est.status_ in ("optimal", "limit") and est.n_neurons_ >= 1
    assert 0.0 <= est.certified_rel_gap_ < 1.0           # a certified, finite gap
    assert search.best_score_ > 0.3                          # a useful model on held-out folds
    out = capsys.readouterr().out
    assert "certified within" in out
