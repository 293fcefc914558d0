"""``relucert check FILE``: re-verify an exact certificate with the independent checker."""
from __future__ import annotations

import json
import sys
import time


def register(sub) -> None:
    p = sub.add_parser("check", help="re-verify an exact certificate file in rational arithmetic",
                       description="Re-verify every claim of a relucert.exact-certificate/1 file in exact "
                                   "arithmetic with the independent checker (it never calls the solver or "
                                   "the enumerator). Exit 0 only when everything verified, 1 when rejected.")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--json", action="store_true", help="print the verification report as JSON on stdout")
    p.set_defaults(func=run)


def run(args) -> int:
    from relucert.verify.certfile import read_certificate
    from relucert.verify.checker import check_certificate, parse_certificate

    start = time.perf_counter()
    document = read_certificate(args.file)  # CertificateError (exit 1) when unparsable
    report = check_certificate(document)
    elapsed = time.perf_counter() - start
    cert = parse_certificate(document)
    if args.json:
        out = report.to_dict()
        out.update({"file": args.file, "lower_bound": str(cert.lower), "upper_bound": str(cert.upper),
                    "gap": str(cert.gap), "uniqueness": cert.verdict, "time_s": elapsed})
        sys.stdout.write(json.dumps(out, indent=1) + "\n")
    for c in report.checks:
        print(f"  [{'ok' if c.passed else 'FAILED'}] {c.name}: {c.detail}", file=sys.stderr if args.json else sys.stdout)
    stream = sys.stderr if args.json else sys.stdout
    if report.passed:
        rel = cert.gap / max(1, abs(cert.upper))
        print(f"VERIFIED: {float(cert.lower):.17g} <= min <= {float(cert.upper):.17g}; certified gap "
              f"{float(cert.gap):.6g} (relative {float(rel):.3g}); {cert.verdict}", file=stream)
        print(f"checked in {elapsed:.2f} s", file=stream)
        return 0
    bad = report.first_failure()
    print(f"REJECTED: first failing claim {bad.name}: {bad.detail}", file=stream)
    return 1
