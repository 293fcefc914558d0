"""The ``relucert`` command's subcommands: one module per subcommand, each exposing
``register(subparsers)`` and ``run(args)``; the options helper
(:mod:`~relucert.commands._common`) and the exit codes and JSON writer
(:mod:`~relucert.commands._output`) are shared.

Layer: cli, the top. It may import every layer (core, arrangement, lp, lp.tv, verify,
gpu, api, experiments); nothing imports it.
"""
