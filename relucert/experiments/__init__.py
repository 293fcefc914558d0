"""Theory experiments on top of the solver and the certificate analysis: the low-noise
sweep and the critical noise ratio (:mod:`~relucert.experiments.lownoise`), the theorem
suite (:mod:`~relucert.experiments.theorems`), the counterexample search
(:mod:`~relucert.experiments.counterexamples`) and their plots
(:mod:`~relucert.experiments.plots`).

Layer: experiments. It may import every layer from core to api; only the CLI
imports it.
"""
