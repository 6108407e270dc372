"""Secrets in every file a project holds (issue 15): config syntax, diffs, command lines, split
literals, cookies, .netrc, human and hard-coded passwords, attachments, and identity PII.

Every credential-shaped sample is built at run time from a seeded generator (prefixes split), so
this file holds no full credential another scanner would flag. File-level cases go through
`nbsec.scan`, the way a user runs it, and check the evidence stays redacted.
"""

from __future__ import annotations

import base64
import json
import random
import string
from pathlib import Path

import pytest

import nbsec
from nbsec.model import Confidence, Finding, Severity
from nbsec.scanners.notebook.detectors import Match, TextContext
from nbsec.scanners.notebook.parts import notebook_parts
from nbsec.scanners.notebook.pii import find_pii
from nbsec.scanners.notebook.secrets import find_secrets
from nbsec.targets import text_syntax

ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
CODE = TextContext("code")


def rand(n: int, alphabet: str = ALNUM, seed: int = 0) -> str:
    rng = random.Random(f"depth-{seed}-{n}-{alphabet}")
    while True:
        out = "".join(rng.choice(alphabet) for _ in range(n))
        if alphabet != ALNUM or (any(c.isupper() for c in out) and any(c.isdigit() for c in out)):
            return out


def found(text: str, context: TextContext = CODE) -> list[Match]:
    return list(find_secrets(text, context))


def values(text: str, context: TextContext = CODE) -> list[str]:
    return [m.value for m in found(text, context)]


def scan_file(tmp_path: Path, name: str, text: str) -> list[Finding]:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    report = nbsec.scan(path)
    return [f for f in report.findings if f.rule_id.startswith(("NBSEC-NB-01", "NBSEC-PRIV"))]


def lines_of(findings: list[Finding]) -> list[int]:
    return sorted(f.location.line or 0 for f in findings)


def assert_redacted(findings: list[Finding], *secrets: str) -> None:
    for f in findings:
        for secret in secrets:
            assert secret not in f.evidence and secret not in json.dumps(f.to_dict()), f.evidence


# --------------------------------------------------------------------------- file kinds


@pytest.mark.parametrize(
    ("name", "syntax"),
    [
        (".env", "text/x-dotenv"),
        (".env.production", "text/x-dotenv"),
        ("prod.env", "text/x-dotenv"),
        ("setup.cfg", "text/x-ini"),
        ("app.conf", "text/x-ini"),
        ("config.INI", "text/x-ini"),
        ("pyproject.toml", "application/toml"),
        ("values.yml", "application/yaml"),
        ("creds.json", "application/json"),
        ("README.md", "text/markdown"),
        ("Dockerfile", "text/x-dockerfile"),
        ("Dockerfile.gpu", "text/x-dockerfile"),
        ("run.sh", "text/x-shellscript"),
        (".netrc", "text/x-netrc"),
        ("fix.patch", "text/x-diff"),
        ("db.properties", "text/x-properties"),
        ("main.tf", "text/x-terraform"),
        ("notes.txt", None),
    ],
)
def test_text_syntax_from_the_name(name: str, syntax: str | None) -> None:
    assert text_syntax(Path(name)) == syntax


def test_config_files_are_scanned_as_text_targets(tmp_path: Path) -> None:
    secret = rand(32)
    for name in (".env", "settings.ini", "Dockerfile", "deploy.sh", "main.tf", "app.properties"):
        findings = scan_file(tmp_path, name, f"API_TOKEN={secret}\n")
        assert len(findings) == 1, name
        assert_redacted(findings, secret)


# --------------------------------------------------------------------------- config syntax

HUMAN_PASSWORDS = ["Winter2024!", "P@ssw0rd123", "Summer#2023x"]


@pytest.mark.parametrize("password", HUMAN_PASSWORDS)
@pytest.mark.parametrize(
    ("name", "template"),
    [
        (".env", "DB_PASSWORD={v}\nDEBUG=1\n"),
        ("db.ini", "[database]\npassword = {v}\n"),
        ("config.yaml", "database:\n  password: '{v}'\n"),
        ("config.toml", '[database]\npassword = "{v}"\n'),
        ("config.json", '{{\n  "database": {{\n    "password": "{v}"\n  }}\n}}\n'),
        ("notes.md", 'Connect with:\n\n```\npassword = "{v}"\n```\n'),
        ("connect.py", 'conn = connect(host="db", password="{v}")\n'),
    ],
)
def test_everyday_passwords_are_reported_in_every_format(
    tmp_path: Path, name: str, template: str, password: str
) -> None:
    findings = scan_file(tmp_path, name, template.format(v=password))
    secrets = [f for f in findings if f.rule_id == "NBSEC-NB-010"]
    assert len(secrets) == 1, (name, findings)
    assert secrets[0].confidence is Confidence.MEDIUM and secrets[0].severity is Severity.HIGH
    assert_redacted(findings, password)


@pytest.mark.parametrize(
    "placeholder", ["<password>", "${PASSWORD}", "xxx", "your-password-here", "changeme", "", "********", "$DB_PASS"]
)
@pytest.mark.parametrize("name", [".env", "db.ini", "config.yaml", "connect.py"])
def test_placeholders_are_not_passwords(tmp_path: Path, name: str, placeholder: str) -> None:
    text = {
        ".env": "DB_PASSWORD={v}\n",
        "db.ini": "[db]\npassword = {v}\n",
        "config.yaml": "db:\n  password: '{v}'\n",
        "connect.py": 'password = "{v}"\n',
    }[name].format(v=placeholder)
    assert scan_file(tmp_path, name, text) == [], (name, placeholder)


def test_nested_secret_keys_in_yaml_and_json(tmp_path: Path) -> None:
    hexkey, b64key = rand(40, HEX, seed=1), rand(40, B64, seed=2)
    yaml_text = f"aws:\n  region: eu-west-1\n  secret:\n    value: {hexkey}\ncredentials:\n  other: {b64key}\n"
    findings = scan_file(tmp_path, "c.yaml", yaml_text)
    assert lines_of(findings) == [4, 6]
    hex_finding = next(f for f in findings if f.location.line == 4)
    assert hex_finding.confidence is Confidence.LOW  # a 40-hex value may be a digest: reported, not sure
    json_text = json.dumps({"aws": {"secret": {"value": hexkey}}, "region": "eu"}, indent=2)
    assert len(scan_file(tmp_path, "c.json", json_text)) == 1
    assert_redacted(findings, hexkey, b64key)


def test_ini_continuation_lines_and_yaml_binary_tag(tmp_path: Path) -> None:
    first, second = rand(14, seed=3), rand(14, seed=4)
    ini = f"[app]\nsecret_keys =\n    {first}\n    {second}\nname = demo\n"
    assert lines_of(scan_file(tmp_path, "a.ini", ini)) == [3, 4]
    blob = base64.b64encode(rand(30, seed=5).encode()).decode()
    assert lines_of(scan_file(tmp_path, "b.yaml", f"signing_secret: !!binary {blob}\n")) == [1]


def test_dictionary_password_under_a_secret_key_in_a_config_file_is_low(tmp_path: Path) -> None:
    # In a config file every value is a literal someone wrote: `password123` under a secret name is a
    # hard-coded secret (bandit and detect-secrets report it), low because it may be a default.
    ini = "[db]\nsecrets_for_the_job =\n    password123\nname = password123\n"
    (finding,) = scan_file(tmp_path, "c.ini", ini)
    assert (finding.location.line, finding.severity, finding.confidence) == (3, Severity.LOW, Confidence.LOW)
    assert scan_file(tmp_path, "d.py", "secrets_for_the_job = 'password123'\n") == []  # code: not a sure literal


def test_random_value_under_any_key_in_a_dotenv_file_is_low_confidence(tmp_path: Path) -> None:
    value = rand(40, B64, seed=6)
    (finding,) = scan_file(tmp_path, ".env", f"MIMI={value}\nDEBUG=true\n")
    assert finding.confidence is Confidence.LOW and finding.location.line == 1
    assert_redacted([finding], value)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (".env", "REQUEST_ID=3f2b8c1e-9d4a-4e7b-8c2f-1a6d5e9b0c3f\nGIT_SHA={hex40}\n"),
        ("package-lock.json", '{{\n  "integrity": "sha512-{b64}==",\n  "resolved": "https://r.io/x.tgz"\n}}\n'),
        (
            "poetry.lock",
            '[metadata]\ncontent-hash = "{hex64}"\nfiles = [{{file = "x.whl", hash = "sha256:{hex64}"}}]\n',
        ),
        ("conf.yaml", "model_id: bert-base-uncased-finetuned-sst2\nforeign_key_id: {b62}\nallowlisted_id: {b62}\n"),
        ("settings.ini", "[auth]\npassword_field = password\nPASSWORD_MIN_LENGTH = 8\ntoken_url = https://x.io/t\n"),
    ],
)
def test_config_lookalikes_stay_quiet(tmp_path: Path, name: str, text: str) -> None:
    filled = text.format(hex40=rand(40, HEX), hex64=rand(64, HEX), b64=rand(86, B64), b62=rand(32))
    assert scan_file(tmp_path, name, filled) == []


# --------------------------------------------------------------------------- URLs, AWS, keys


@pytest.mark.parametrize("password", ["p@ss#w0rd!Zq", "s3cr%40t%3Axx9", "Zq9:x/y"])
def test_basic_auth_url_with_reserved_characters(password: str) -> None:
    text = f'DATABASE_URL = "postgresql://ml:{password}@db.prod.internal:5432/features"'
    if "/" in password:
        assert found(text) == []  # "/" ends the userinfo: not a password in a URL
    else:
        assert values(text) == [password]


def test_basic_auth_on_documentation_hosts_is_low() -> None:
    (m,) = found("url = 'http://ada:" + rand(24, string.ascii_lowercase) + "@example.com/'")
    assert (m.confidence, m.severity) == (Confidence.LOW, Severity.LOW)


def test_aws_ids_and_secrets_in_config_syntax(tmp_path: Path) -> None:
    key_id, secret = "AK" + "IA" + rand(16, string.ascii_uppercase + "234567"), rand(40, B64, seed=7)
    text = f"[default]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\nregion = eu-west-1\n"
    findings = scan_file(tmp_path, "credentials.ini", text)
    assert lines_of(findings) == [2, 3]
    assert_redacted(findings, key_id, secret)


def test_low_entropy_aws_key_id_is_low_confidence() -> None:
    (m,) = found("value: AK" + "IA" + "TEST" * 4)
    assert m.kind == "AWS access key id" and m.confidence is Confidence.LOW


def _armor(label: str, lines: int = 6, header: str = "") -> str:
    body = "\n".join(rand(64, B64, seed=10 + i) for i in range(lines))
    return f"-----BEGIN {label}-----\n{header}{body}\n-----END {label}-----\n"


@pytest.mark.parametrize(
    ("label", "header"),
    [
        ("OPENSSH PRIVATE KEY", ""),
        ("EC PRIVATE KEY", ""),
        ("DSA PRIVATE KEY", ""),
        ("RSA PRIVATE KEY", ""),
        ("PGP PRIVATE KEY BLOCK", "Version: GnuPG v2 (GNU/Linux)\nComment: test\n\n"),
    ],
)
def test_private_key_blocks(label: str, header: str) -> None:
    (m,) = found(_armor(label, header=header), TextContext("text"))
    assert m.kind == "private key" and m.severity is Severity.CRITICAL


def test_short_private_key_block_is_reported_with_low_confidence() -> None:
    text = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + rand(56) + "\n-----END OPENSSH PRIVATE KEY-----\n"
    (m,) = found(text, TextContext("text"))
    assert m.confidence is Confidence.LOW and m.severity is Severity.HIGH


# --------------------------------------------------------------------------- diffs


def test_diff_added_lines_only_with_new_file_lines(tmp_path: Path) -> None:
    added, removed, context = rand(32, seed=20), rand(32, seed=21), rand(32, seed=22)
    diff = (
        "diff --git a/app/settings.py b/app/settings.py\n"
        "--- a/app/settings.py\n"
        "+++ b/app/settings.py\n"
        "@@ -10,3 +10,3 @@ import os\n"
        f" CONTEXT_TOKEN = '{context}'\n"
        f"-API_TOKEN = '{removed}'\n"
        f"+API_TOKEN = '{added}'\n"
        " DEBUG = False\n"
    )
    (finding,) = scan_file(tmp_path, "change.diff", diff)
    assert finding.location.line == 7  # the line in the .diff file
    assert finding.location.element == "app/settings.py, line 11"  # and where it lands
    assert_redacted([finding], added)
    assert scan_file(tmp_path, "saved-git-diff.txt", diff)[0].location.line == 7  # sniffed without the name


# --------------------------------------------------------------------------- hard-coded passwords (bandit)


@pytest.mark.parametrize(
    ("text", "confidence", "severity"),
    [
        ('password = "' + rand(20, ALNUM + "!#%", seed=30) + '"', Confidence.HIGH, None),
        ('d["password"] = "Winter2024!"', Confidence.MEDIUM, None),
        ('if password == "root":\n    pass', Confidence.LOW, Severity.LOW),
        ('def f(user, password="Admin"):\n    pass', Confidence.LOW, Severity.LOW),
        ('login(password="blerg")', Confidence.LOW, Severity.LOW),
        ('info = {"password": "12345"}', Confidence.LOW, Severity.LOW),
        ("passphrase='1234'", Confidence.LOW, Severity.LOW),
    ],
)
def test_hard_coded_passwords_are_graded(text: str, confidence: Confidence, severity: Severity | None) -> None:
    (m,) = found(text)
    assert (m.kind, m.confidence, m.severity) == ("password in assignment", confidence, severity)


@pytest.mark.parametrize(
    "text",
    [
        'password_field = "password"',
        "PASSWORD_MIN_LENGTH = 8",
        "token = os.environ['HF_TOKEN']",
        "password = getpass.getpass()",
        "password = getpass()",
        'log({"server": server, "password": password, "user": user})',
        "# e.g. password = 'root'",
        'Use `password == "root"` only in tests.',
        '"hardcoded_password_string": "B105",',
        'SECRET_IN_SOURCE = "NBSEC-NB-010"',
    ],
)
def test_password_lookalikes_stay_quiet(text: str) -> None:
    assert found(text) == [] and found(text, TextContext("markdown")) == []


def test_weak_words_in_prose_are_not_reported() -> None:
    assert found("Password: required for admin users", TextContext("markdown")) == []
    assert found("password: admin", TextContext("output-stream")) == []


def test_same_value_twice_on_a_line_is_one_finding() -> None:
    assert len(found('if password == "root" or admin_password == "root":\n    pass')) == 1


# --------------------------------------------------------------------------- command lines, netrc, cookies


@pytest.mark.parametrize(
    "template",
    [
        "!curl -u ada:{v} https://api.internal.io/v1/data",
        "!curl --user 'ada:{v}' https://api.internal.io/v1/data",
        "!mysql -h db -u root -p{v} features",
        "!mysqldump -uroot -p'{v}' features > dump.sql",
        "!sshpass -p '{v}' ssh ada@gpu-box",
        "!docker login -u ada -p {v} registry.internal.io",
        "!wget --password={v} https://files.internal.io/x.csv",
        "!python train.py --db-password {v}",
    ],
)
def test_credentials_on_command_lines(template: str) -> None:
    secret = rand(10, seed=40) + "!9"
    assert values(template.format(v=secret)) == [secret], template
    assert values(template.format(v=secret)[1:], TextContext("text", mime="text/x-shellscript")) == [secret]


@pytest.mark.parametrize(
    "text",
    ["!curl -u $USER:$PASS https://x.io", "!mysql -u root -p features", "!sshpass -f pwfile ssh host", "!ls -p /tmp"],
)
def test_command_lines_without_a_literal_password(text: str) -> None:
    assert found(text) == []


def test_multi_line_netrc(tmp_path: Path) -> None:
    secret = rand(18, seed=41)
    text = f"machine api.internal.io\n    login ada\n    password {secret}\n\nmachine other.io login bo password xxx\n"
    findings = scan_file(tmp_path, ".netrc", text)
    assert lines_of(findings) == [3]
    assert_redacted(findings, secret)


@pytest.mark.parametrize(
    "template",
    [
        "Set-Cookie: sessionid={v}; Path=/; HttpOnly",
        "Cookie: csrftoken=abc; PHPSESSID={v}",
        'requests.get(url, cookies={{"session": "{v}"}})',
        "headers = {{'Cookie': '__Secure-next-auth.session-token={v}'}}",
    ],
)
def test_session_cookies(template: str) -> None:
    value = rand(32, string.ascii_lowercase + string.digits, seed=42)
    (m,) = found(template.format(v=value))
    assert m.value == value


def test_cookie_banners_and_short_ids_stay_quiet() -> None:
    assert found("We use cookies. session=1; sessionid=abc") == []
    assert found("Set-Cookie: theme=dark; lang=en-GB") == []


# --------------------------------------------------------------------------- split literals


@pytest.mark.parametrize(
    "template",
    [
        'GITHUB_TOKEN = "{a}" + "{b}"',
        "GITHUB_TOKEN = ('{a}'\n    '{b}')",
        'token = "{a}" "{b}"',
    ],
)
def test_split_literals_are_joined(template: str) -> None:
    token = "gh" + "p_" + rand(36, seed=50)
    a, b = token[:12], token[12:]
    text = template.format(a=a, b=b)
    (m,) = found(text)
    assert m.kind == "GitHub token"
    assert text[m.start : m.end] == m.value and m.value.startswith(a) and m.value.endswith(b)


def test_ordinary_concatenation_is_not_a_secret() -> None:
    assert found('api_key_name = "OPENAI" + "_API_KEY"\nmsg = "hello " + "world"') == []


# --------------------------------------------------------------------------- vendors added here


def test_new_vendor_lookalikes_stay_quiet() -> None:
    for text in [
        "key-" + "0" * 32 + " mailgun",
        "cache_key = 'key-" + rand(32, HEX) + "'",  # nothing says mailgun
        "fc-layer-" + rand(20).lower(),
        "dose" + "abc",
        "https://hooks.zapier.com/hooks/catch/123/xxxxx",
        "sk" + "_" + "0" * 48,
    ]:
        assert found(text) == [], text


# --------------------------------------------------------------------------- attachments


def _notebook_with_attachment(payload: object) -> dict[str, object]:
    cell = {"cell_type": "markdown", "id": "m1", "metadata": {}, "source": "![notes](attachment:notes.txt)",
            "attachments": {"notes.txt": {"text/plain": payload}}}  # fmt: skip
    return {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


@pytest.mark.parametrize("encode", [True, False])
def test_text_plain_attachments_are_read(encode: bool) -> None:
    secret = rand(24, seed=60)
    text = f"DB_PASSWORD={secret}\n"
    payload = base64.b64encode(text.encode()).decode() if encode else text
    parts = [p for p in notebook_parts(_notebook_with_attachment(payload)) if p.part == "attachment"]
    assert [p.text for p in parts] == [text]
    assert values(parts[0].text, TextContext("attachment", mime="text/plain")) == [secret]


# --------------------------------------------------------------------------- PII in files


def test_pii_in_python_and_markdown_files(tmp_path: Path) -> None:
    person = "Jane Roe, date of birth: 1985-03-12, passport no. X1234567, mail jane.roe@corp-mail.io"
    for name in ("patients.py", "notes.md"):
        findings = scan_file(tmp_path, name, f"# {person}\n" if name.endswith(".py") else person + "\n")
        kinds = sorted(f.evidence.split(" in ")[0] for f in findings if f.rule_id == "NBSEC-PRIV-001")
        assert kinds == ["date of birth", "email address", "passport number"], (name, findings)
    assert [f for f in scan_file(tmp_path, "notes.txt", person) if f.rule_id == "NBSEC-PRIV-001"] == []


def test_an_authors_published_email_in_source_is_low(tmp_path: Path) -> None:
    # Copyright headers and __author_email__ credit authors in public; a customer's email in the same file
    # is still personal data at medium.
    source = (
        "# Copyright (c) 2001-2007, Fernando Example <fernando@univ-mail.edu>\n"
        '__author_email__ = "maintainer@proj-mail.io"\n'
        'customers = ["jane.roe@corp-mail.io"]\n'
    )
    emails = [f for f in scan_file(tmp_path, "lib.py", source) if f.rule_id == "NBSEC-PRIV-001"]
    graded = sorted((f.location.line, f.severity, f.confidence) for f in emails)
    assert graded == [
        (1, Severity.LOW, Confidence.LOW),
        (2, Severity.LOW, Confidence.LOW),
        (3, Severity.MEDIUM, Confidence.MEDIUM),
    ]


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("Name: Jane Roe, DOB: 1985-03-12", ["date of birth"]),
        ("born on 12 March 1985 in Leeds", ["date of birth"]),
        ("patient Ada Byron (born March 3rd, 1990)", ["date of birth"]),
        ("Passport No: X1234567", ["passport number"]),
        ('passport_no = "AB1234567"', ["passport number"]),
        ("released 2024-01-02, version 1985.3.12", []),
        ("model checkpoint X1234567 saved", []),
        ("pip install passport==1.2.3", []),
        ("passport number: 000000000", []),
    ],
)
def test_dates_of_birth_and_passports_need_their_context(text: str, kinds: list[str]) -> None:
    assert [m.kind for m in find_pii(text, CODE)] == kinds


def test_dob_and_passport_columns() -> None:
    dob = TextContext("output-html", column="date_of_birth")
    assert [m.value for m in find_pii("1985-03-12\n1990-11-02", dob)] == ["1985-03-12", "1990-11-02"]
    passport = TextContext("output-html", column="passport_number")
    assert [m.confidence for m in find_pii("X1234567\nAB7654321", passport)] == [Confidence.HIGH] * 2


def test_every_distinct_hard_coded_password_of_a_file_is_reported(tmp_path: Path) -> None:
    """A script's 15 hard-coded passwords are 15 findings (the cap of 10 is for printed loops)."""
    text = "".join(f'db{i}_password = "{rand(12, seed=70 + i)}!"\n' for i in range(15))
    assert lines_of(scan_file(tmp_path, "settings.py", text)) == list(range(1, 16))
