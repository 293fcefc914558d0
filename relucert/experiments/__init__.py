"""Theory experiments on top of the solver and the certificate analysis.

Layer: experiments (DESIGN.md section 9, tests/test_architecture.py). It may import every
layer from core to the API (relucert.solve, relucert.certify); nothing but the command
line imports it.

Its parts: the low-noise regime (:mod:`~relucert.experiments.lownoise`: minimal-norm
certificate and its margins, critical noise ratio, lam sweep), the theorem suite
(:mod:`~relucert.experiments.theorems`), the counterexample search
(:mod:`~relucert.experiments.counterexamples`), their plots
(:mod:`~relucert.experiments.plots`), the rescaled solver they are handed
(:mod:`~relucert.experiments.rescaled`) and their parameters, all in one place
(:mod:`~relucert.experiments.parameters`)."""
