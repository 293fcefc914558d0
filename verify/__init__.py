"""Certificate analysis, exact rational verification and certificate files.

The checker (:mod:`relucert.verify.checker`) and the file format are imported eagerly;
the certificate builder (:mod:`relucert.verify.exact`, which uses the enumerator) is
loaded on first use, so that checking a file never loads solver or enumeration code.
"""
from relucert.verify.certfile import CERTIFICATE_FORMAT, read_certificate, write_certificate
from relucert.verify.checker import check_certificate, check_certificate_file

__all__ = [
    "CERTIFICATE_FORMAT", "read_certificate", "write_certificate",
    "check_certificate", "check_certificate_file",
    "ExactCertificate", "make_exact_certificate",
]

_LAZY = {"ExactCertificate", "make_exact_certificate"}


def __getattr__(name):
    if name in _LAZY:
        from relucert.verify import exact

        return getattr(exact, name)
    raise AttributeError(f"module 'relucert.verify' has no attribute {name!r}")
