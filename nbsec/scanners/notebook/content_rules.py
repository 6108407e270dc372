"""Rules for what a notebook *contains*: secrets, PII, and leaks through outputs."""

from __future__ import annotations

from nbsec.model import Confidence, Rule, Severity, reference

SCANNER = "notebook-content"

CWE_798 = reference("CWE", "CWE-798")  # hard-coded credentials
CWE_532 = reference("CWE", "CWE-532")  # sensitive information in logs / output
CWE_359 = reference("CWE", "CWE-359")  # exposure of private personal information
ATLAS_CREDENTIALS = reference("MITRE ATLAS", "AML.T0055")  # unsecured credentials
OWASP_LLM02 = reference("OWASP LLM Top 10", "LLM02:2025")  # sensitive information disclosure

SECRET_IN_SOURCE = Rule(
    id="NBSEC-NB-010",
    title="Credential written in a notebook or source file",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    category="secrets",
    scanner=SCANNER,
    description=(
        "A credential (cloud key, token, model-API key, private key, password in a URL) is written in a "
        "code or markdown cell, cell or notebook metadata, or a Python file. Notebooks get shared, committed "
        "and rendered on the web with everything in them."
    ),
    remediation=(
        "Revoke the credential now (assume it leaked), then load it at run time from the environment or a "
        "secrets manager (os.environ['NAME'], getpass, keyring) and keep it out of the notebook."
    ),
    references=(CWE_798, ATLAS_CREDENTIALS, OWASP_LLM02),
    # The key is split so that this file does not itself hold a key-shaped string.
    sample_trigger='import openai\nclient = openai.OpenAI(api_key="sk-proj-'
    + "Q3xTzL8v"
    + 'N4mW2pR7kY9bH6cJ1dF5gA0sE")\n',
    sample_clean='import os, openai\nclient = openai.OpenAI(api_key=os.environ["OPENAI_API_KEY"])\n',
)

SECRET_IN_OUTPUT = Rule(
    id="NBSEC-NB-011",
    title="Credential leaked in a cell output",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    category="secrets",
    scanner=SCANNER,
    description=(
        "A credential appears in a cell's saved output: printed text, a displayed object, an HTML table, "
        "JSON, or an error traceback (connection strings echoed by drivers are common). Outputs are saved "
        "with the notebook even when the code that printed them no longer holds the value."
    ),
    remediation=(
        "Revoke the credential, clear the output (Edit > Clear Outputs, or `jupyter nbconvert "
        "--clear-output`), and stop printing objects that hold credentials."
    ),
    references=(CWE_532, CWE_798, ATLAS_CREDENTIALS, OWASP_LLM02),
    sample_trigger="output-with-aws-key",
    sample_clean="output-with-uuid",
)

PII_EXPOSED = Rule(
    id="NBSEC-PRIV-001",
    title="Personal data in a notebook",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    category="privacy",
    scanner=SCANNER,
    description=(
        "Values that validate as personal data (email addresses, phone numbers, US SSNs, payment card "
        "numbers passing Luhn, IBANs passing mod-97, IP addresses; dates of birth and passport numbers next to "
        "their label) appear in a notebook, a Python or a Markdown file, most often in a printed DataFrame. "
        "Columns named like PII raise the confidence."
    ),
    remediation=(
        "Clear outputs that show raw records; display aggregates or masked samples (df.head() of a "
        "pseudonymised copy); keep personal data out of notebooks you share."
    ),
    references=(CWE_359, reference("EU AI Act", "Art. 10"), OWASP_LLM02),
    sample_trigger="dataframe-with-emails",
    sample_clean="dataframe-with-metrics",
)

RULES = (SECRET_IN_SOURCE, SECRET_IN_OUTPUT, PII_EXPOSED)
