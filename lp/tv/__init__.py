"""The TV solver: the exchange method and its parts, built on the generic programs of
:mod:`relucert.lp`.

- :mod:`~relucert.lp.tv.exchange`: the exchange loop (DESIGN.md section 4);
- :mod:`~relucert.lp.tv.oracle_api`: the oracle interface ("max |eta_p| and the violators
  above t") with its two implementations, :mod:`~relucert.lp.tv.oracle` (the scan of every
  chamber) and :mod:`~relucert.lp.tv.bab` (branch and bound over cones, section 10);
- :mod:`~relucert.lp.tv.merge` and :mod:`~relucert.lp.tv.polish`: atoms merged per chamber
  and Newton polishing on the identified support;
- :mod:`~relucert.lp.tv.socp`: the second-order cone cross-check (clarabel).

Layer: lp.tv (the TV solver). It may import core, arrangement and lp.
"""
