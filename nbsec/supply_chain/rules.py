"""Supply-chain rules (NBSEC-DEP-*): vulnerable, unpinned, unhashed and undeclared dependencies.

Samples: DEP-001/002/003 samples are the content of a requirements.txt;
DEP-004's are notebook code cells (a requirements.txt declaring only
`numpy` sits beside them); DEP-005's name the test fixture that builds the
condition (an advisory database dated more than 180 days ago).
"""

from __future__ import annotations

import re

from nbsec.model import Confidence, Rule, Severity, reference

# requirements.txt, requirements-dev.txt, requirements/base.txt's siblings: the files pip -r reads.
REQUIREMENTS_NAME = re.compile(r"^requirements[\w.-]*\.txt$", re.IGNORECASE)

SCANNER = "dependencies"
CATEGORY = "supply chain"

CWE_1104 = reference("CWE", "CWE-1104")  # use of unmaintained third-party components
CWE_1395 = reference("CWE", "CWE-1395")  # dependency on vulnerable third-party component
CWE_494 = reference("CWE", "CWE-494")  # download of code without integrity check
CWE_1357 = reference("CWE", "CWE-1357")  # reliance on insufficiently trustworthy component
ATLAS_SUPPLY_CHAIN_SOFTWARE = reference("MITRE ATLAS", "AML.T0010.001")  # ML supply chain compromise: ML software
OWASP_ML06 = reference("OWASP ML Top 10", "ML06:2023")  # AI supply chain attacks
OWASP_LLM03 = reference("OWASP LLM Top 10", "LLM03:2025")  # supply chain
SUPPLY_CHAIN = (ATLAS_SUPPLY_CHAIN_SOFTWARE, OWASP_ML06, OWASP_LLM03)
TORCH_SAFE_HASH = "sha256:" + "0" * 64  # a well-formed hash for the clean sample; never installed


VULNERABLE = Rule(
    id="NBSEC-DEP-001",
    title="Installed or pinned package version has a known vulnerability",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    category=CATEGORY,
    scanner=SCANNER,
    description=(
        "The package version matches a published OSV advisory (PyPA advisory database, GitHub "
        "Security Advisories) by its PEP 440 version range. ML frameworks load models and data "
        "from outside the trust boundary, so flaws such as torch.load's weights_only bypass "
        "(CVE-2025-32434) turn a downloaded checkpoint into code execution. Severity follows the "
        "advisory's CVSS score when it has one, else its own rating, else high."
    ),
    remediation=(
        "Upgrade to the fixed version named in the finding (`pip install -U 'torch>=2.6.0'`) and pin "
        "it; if no fix exists, remove the package or isolate what it loads. Refresh the advisory data "
        "with `nbsec db update --from all.zip` (osv.dev's PyPI export)."
    ),
    references=(CWE_1395, *SUPPLY_CHAIN),
    sample_trigger="torch==2.5.1\n",
    sample_clean="torch==2.6.0\n",
)

UNPINNED = Rule(
    id="NBSEC-DEP-002",
    title="Requirement not pinned to an exact version",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    category=CATEGORY,
    scanner=SCANNER,
    description=(
        "A range (`torch>=2`), a bare name, a URL or a VCS branch installs whatever is newest when "
        "the environment is built: a compromised or typo-squatted release lands without review, and "
        "results are not reproducible. A git requirement without a commit hash is high: the branch "
        "or tag can be moved to any code."
    ),
    remediation=(
        "Pin exact versions (`torch==2.6.0`), ideally generated with hashes by `pip-compile "
        "--generate-hashes` or `uv pip compile --generate-hashes`; pin VCS requirements to a full "
        "commit hash (`git+https://...@<40-hex sha>`). Keep ranges in pyproject.toml and pins in a "
        "lock or requirements file."
    ),
    references=(CWE_1357, CWE_494, *SUPPLY_CHAIN),
    sample_trigger="torch>=2\n",
    sample_clean=f"torch==2.6.0 --hash={TORCH_SAFE_HASH}\n",
)

UNHASHED = Rule(
    id="NBSEC-DEP-003",
    title="Requirement without a --hash",
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    category=CATEGORY,
    scanner=SCANNER,
    description=(
        "Without hashes pip trusts whatever file the index (or a mirror or proxy) serves for the "
        "pinned version. In a file that uses hashes, pip refuses a line without one, so it is "
        "reported per line; in a file with none it is reported once for the file."
    ),
    remediation=(
        "Generate the file with hashes: `pip-compile --generate-hashes requirements.in` or "
        "`uv pip compile --generate-hashes`, and install with `pip install --require-hashes -r ...`."
    ),
    references=(CWE_494, *SUPPLY_CHAIN),
    sample_trigger="torch==2.6.0\n",
    sample_clean=f"torch==2.6.0 --hash={TORCH_SAFE_HASH}\n",
)

UNDECLARED = Rule(
    id="NBSEC-DEP-004",
    title="Notebook imports a package the project does not declare",
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    category=CATEGORY,
    scanner=SCANNER,
    description=(
        "The notebook imports a third-party package that no requirements file or pyproject.toml of "
        "its project declares. Whoever reruns it installs it by hand, unpinned and unreviewed, from "
        "whatever index they have: the path typo-squatting and dependency confusion rely on."
    ),
    remediation=(
        "Declare the package (with a pinned version) in the project's requirements or pyproject.toml; "
        "if it is your own module, keep it beside the notebook. Suppress a deliberate case with "
        "`# nbsec: ignore[NBSEC-DEP-004]` on the import line."
    ),
    references=(CWE_1357, *SUPPLY_CHAIN),
    sample_trigger="import numpy\nimport pandas as pd\n",
    sample_clean="import json\nimport numpy as np\n",
)

STALE_DATABASE = Rule(
    id="NBSEC-DEP-005",
    title="Advisory database is older than 180 days",
    severity=Severity.INFO,
    confidence=Confidence.HIGH,
    category=CATEGORY,
    scanner=SCANNER,
    description=(
        "Vulnerability matching is offline, against the advisories nbsec bundles or that you "
        "imported. Advisories published after that date are not known to the scan, so a clean result "
        "says less the older the data is."
    ),
    remediation=(
        "Download osv.dev's PyPI export (https://osv-vulnerabilities.storage.googleapis.com/PyPI/"
        "all.zip) on a connected machine and run `nbsec db update --from all.zip`; check with "
        "`nbsec db info`."
    ),
    references=(CWE_1104, *SUPPLY_CHAIN),
    sample_trigger="advisory database dated 2024-10-10 (the bundled snapshot), scanned today\n",
    sample_clean="advisory database imported today with `nbsec db update --from all.zip`\n",
)

RULES = (VULNERABLE, UNPINNED, UNHASHED, UNDECLARED, STALE_DATABASE)
