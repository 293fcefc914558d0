"""Certificate analysis, exact rational verification and certificate files."""

__all__: list[str] = []
