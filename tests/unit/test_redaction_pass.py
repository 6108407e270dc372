"""The redaction pass the scanning loop runs over every finding of a file (nbsec.scanners.redaction)."""

from __future__ import annotations

import random
import string

from nbsec.model import Location, Suppressed
from nbsec.redact import redact
from nbsec.scanners.notebook.content_rules import PII_EXPOSED as RULE
from nbsec.scanners.redaction import Redactor, redact_items


def token(seed: int) -> str:
    rng = random.Random(seed)
    return "ghp_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(36))


def test_a_known_value_is_replaced_in_full_json_escaped_and_cut_short() -> None:
    value = 'Pw"' + token(1)[4:20]
    redactor = Redactor([value])
    assert redactor(f"x = {value} end") == f"x = {redact(value)} end"
    escaped = value.replace('"', '\\"')
    assert value[4:] not in redactor(f'"x": "{escaped}"')
    cut = f"load('{value[:12]}…')"
    assert value[:12] not in redactor(cut) and "[sha256:" in redactor(cut)
    # A prefix not followed by a cut mark is just text that starts the same way.
    assert redactor(f"{value[:10]}zzz") == f"{value[:10]}zzz"


def test_detectors_and_url_passwords_without_a_known_value() -> None:
    redactor = Redactor()
    secret = token(2)
    assert secret not in redactor(f"git+https://{secret}@github.com/o/r@v1")
    text = redactor("git+https://deploy:Sup3rS3cretPass@github.com/o/r@v1.0")
    assert "Sup3rS3cretPass" not in text and "deploy:" in text and "github.com/o/r@v1.0" in text
    # Placeholders are not passwords, and a cut-short evidence window still loses the password.
    assert redactor("https://user:${TOKEN}@host/x") == "https://user:${TOKEN}@host/x"
    assert "S3cretPassw0rd" not in redactor("…ploy:S3cretPassw0rd@github.com/o/r")


def test_forms_already_redacted_are_left_alone() -> None:
    shown = redact(token(3))
    text = f"token = '{shown}' # and more"
    assert Redactor()(text) == text


def test_redact_items_rewrites_findings_and_suppressed_and_reports_new_fingerprints() -> None:
    secret = token(4)
    finding = RULE.finding(Location("a.py", line=1), f"pickle.loads(x, key='{secret}')")
    other = RULE.finding(Location("a.py", line=2), "nothing to hide here")
    findings = [finding, other]
    suppressed = [Suppressed(RULE.finding(Location("a.py", line=3), f"k {secret}"), "inline", "nosec (bandit)")]
    moved = redact_items(findings, suppressed, [secret])
    assert secret not in findings[0].evidence and "pickle.loads(x, key=" in findings[0].evidence
    assert findings[1] is other
    assert secret not in suppressed[0].finding.evidence and suppressed[0].detail == "nosec (bandit)"
    assert moved[finding.fingerprint] == findings[0].fingerprint != finding.fingerprint
    assert len(moved) == 2
