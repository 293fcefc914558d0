"""Certificate analysis, exact rational verification and certificate files."""
from relucert.verify.certfile import CERTIFICATE_FORMAT, read_certificate, write_certificate
from relucert.verify.checker import check_certificate, check_certificate_file
from relucert.verify.exact import ExactCertificate, make_exact_certificate

__all__ = [
    "CERTIFICATE_FORMAT", "read_certificate", "write_certificate",
    "check_certificate", "check_certificate_file",
    "ExactCertificate", "make_exact_certificate",
]
