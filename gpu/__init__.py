"""Batched region scans in torch (imported lazily; torch is an optional extra)."""

__all__: list[str] = []
