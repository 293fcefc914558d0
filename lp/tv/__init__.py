"""The TV solver: the exchange method and its parts, built on the generic programs of
:mod:`relucert.lp`.

- :mod:`~relucert.lp.tv.exchange`: the exchange loop (DESIGN.md section 4);
- :mod:`~relucert.lp.tv.candidate`: a candidate's certified evaluation (gap of the scaled
  dual) and the diagnosis of a run that did not certify;
- :mod:`~relucert.lp.tv.atom_set`: the atom set between rounds (start, merge, update);
- :mod:`~relucert.lp.tv.polish_policy`: when and how the loop polishes;
- :mod:`~relucert.lp.tv.oracle_api`: the oracle interface ("max |eta_p| and the violators
  above t", one result type ``OracleScan``) with its two implementations,
  :mod:`~relucert.lp.tv.oracle` (the scan of every chamber, with the face kernels of
  :mod:`~relucert.lp.tv.faces`) and :mod:`~relucert.lp.tv.bab` (branch and bound over
  cones, section 10);
- :mod:`~relucert.lp.tv.merge` and :mod:`~relucert.lp.tv.polish`: atoms merged per chamber
  and Newton polishing on the identified support;
- :mod:`~relucert.lp.tv.socp`: the second-order cone cross-check (clarabel).

Layer: lp.tv (the TV solver). It may import core, arrangement and lp.
"""
