"""``jingzhun audit-verify``: check an audit export offline, with no access to the service."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _key(value: str) -> str:
    """A vkey given inline or as the path of a file holding it."""
    path = Path(value)
    return path.read_text(encoding="utf-8").strip() if path.is_file() else value.strip()


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Verify an export; print OK or the first failure, exit 0 or 1."""
    from audit.verify import verify_export

    if (args.previous is None) != (args.consistency_proof is None):
        print("--previous and --consistency-proof go together", file=sys.stderr)
        return 2
    previous = args.previous.read_text(encoding="utf-8") if args.previous else None
    proof = json.loads(args.consistency_proof.read_text(encoding="utf-8")) if args.consistency_proof else None
    with args.export.open(encoding="utf-8") as lines:
        verdict = verify_export(lines, _key(args.vkey) if args.vkey else None, args.origin, previous, proof)
    for warning in verdict.warnings:
        print(warning, file=sys.stderr)
    print(verdict.message, file=sys.stdout if verdict.ok else sys.stderr)
    return 0 if verdict.ok else 1


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``audit-verify`` to the ``jingzhun`` parser."""
    p = sub.add_parser("audit-verify", help="verify an audit export (GET /api/v1/audit/export) offline")
    p.add_argument("export", type=Path, help="the NDJSON export file")
    p.add_argument(
        "--vkey", help="trusted verifier key, inline or a file (default: the export's, with a warning)"
    )
    p.add_argument("--origin", help="expected log origin (default: the checkpoint's own)")
    p.add_argument("--previous", type=Path, help="an earlier signed checkpoint to prove this log extends")
    p.add_argument(
        "--consistency-proof",
        type=Path,
        help="JSON {first, second, hashes} from /api/v1/audit/proofs/consistency",
    )
    p.set_defaults(func=cmd_audit_verify)
