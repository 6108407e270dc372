"""Secrets detector: one positive and one look-alike per kind, the false-positive list, redaction.

Every key-shaped sample is built at run time from a seeded random generator (and
prefixes split where they would otherwise sit next to key-shaped text), so this file
holds no full credential that another secret scanner would flag.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import string
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nbsec.model import Confidence, Severity
from nbsec.redact import redact, redact_in, snippet
from nbsec.scanners.notebook.content_rules import SECRET_IN_OUTPUT, SECRET_IN_SOURCE
from nbsec.scanners.notebook.detectors import Match, TextContext
from nbsec.scanners.notebook.secrets import DETECTORS, detector_kinds, find_secrets

CODE = TextContext("code")
MARKDOWN = TextContext("markdown")
STREAM = TextContext("output-stream")

ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
B32 = string.ascii_uppercase + "234567"


def rand(n: int, alphabet: str = ALNUM, seed: int = 0) -> str:
    """Deterministic random-looking text: the same sample on every run."""
    rng = random.Random(f"{seed}-{n}-{alphabet}")
    while True:
        out = "".join(rng.choice(alphabet) for _ in range(n))
        # make sure a base62 sample has all three classes, like real keys do
        if alphabet != ALNUM or n < 8 or (any(c.isupper() for c in out) and any(c.isdigit() for c in out)):
            return out


def find(text: str, context: TextContext = CODE) -> list[Match]:
    return list(find_secrets(text, context))


def values(text: str, context: TextContext = CODE) -> list[str]:
    return [m.value for m in find(text, context)]


def pem(label: str = "RSA PRIVATE KEY", sep: str = "\n", body_lines: int = 6, end: bool = True) -> str:
    body = sep.join(rand(64, B64, seed=i) for i in range(body_lines))
    head = "-----BEGIN " + label + "-----"
    tail = sep + "-----END " + label + "-----" if end else ""
    return head + sep + body + tail


def jwt(claims: dict[str, object], header: dict[str, object] | None = None) -> str:
    def part(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return part(header or {"alg": "HS256", "typ": "JWT"}) + "." + part(claims) + "." + rand(43, ALNUM + "-_")


# --------------------------------------------------------------------------- positives

# (kind, text builder) -> the builder returns (text, the secret value expected at text[start:end])
Sample = Callable[[], tuple[str, str]]


def _wrap(template: str, value: str) -> tuple[str, str]:
    return template.format(v=value), value


def _gcp() -> tuple[str, str]:
    key = pem("PRIVATE KEY", sep="\\n") + "\\n"
    doc = (
        '{"type": "service_account", "project_id": "demo", "private_key_id": "'
        + rand(40, HEX)
        + '", "private_key": "'
        + key
        + '", "client_email": "svc@demo.iam.gserviceaccount.com"}'
    )
    return doc, key


POSITIVES: dict[str, Sample] = {
    "GCP service-account private key": _gcp,
    "private key": lambda: _wrap('key = """{v}"""', pem()),
    "encrypted private key": lambda: _wrap("{v}\n", pem("ENCRYPTED PRIVATE KEY")),
    "AWS access key id": lambda: _wrap("AWS_ACCESS_KEY_ID={v}", "AK" + "IA" + rand(16, B32)),
    "AWS secret access key": lambda: _wrap('aws_secret_access_key = "{v}"', rand(40, B64)),
    "Azure storage account key": lambda: _wrap(
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={v};EndpointSuffix=core.windows.net",
        rand(86, B64) + "==",
    ),
    "Azure shared access key": lambda: _wrap(
        "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey={v}",
        rand(43, B64) + "=",
    ),
    "Azure SAS token signature": lambda: _wrap(
        "https://acct.blob.core.windows.net/data/train.csv?sv=2022-11-02&ss=b&sp=r&sig={v}",
        rand(40, ALNUM) + "%3D",
    ),
    "Google API key": lambda: _wrap('genai.configure(api_key="{v}")', "AI" + "za" + rand(35, ALNUM + "_-")),
    "Google OAuth client secret": lambda: _wrap('"client_secret": "{v}"', "GOCSPX" + "-" + rand(28)),
    "Google OAuth access token": lambda: _wrap("creds.token -> {v}", "ya29" + "." + rand(60, ALNUM + "_-")),
    "Databricks personal access token": lambda: _wrap('DATABRICKS_TOKEN = "{v}"', "da" + "pi" + rand(32, HEX)),
    "GitHub token": lambda: _wrap("!git clone https://github.com/org/repo --token {v}", "gh" + "p_" + rand(36)),
    "GitHub fine-grained token": lambda: _wrap(
        'Github(auth=Auth.Token("{v}"))', "github" + "_pat_" + rand(22) + "_" + rand(59, seed=2)
    ),
    "GitLab token": lambda: _wrap('gl = gitlab.Gitlab(url, private_token="{v}")', "gl" + "pat-" + rand(20)),
    "npm access token": lambda: _wrap("//registry.npmjs.org/:_authToken={v}", "np" + "m_" + rand(36)),
    "PyPI API token": lambda: _wrap("password = {v}", "pypi-" + "AgEIcHlwaS5vcmc" + rand(60, ALNUM + "_-")),
    "Docker Hub access token": lambda: _wrap("!docker login -u me -p {v}", "dckr" + "_pat_" + rand(27)),
    "Anthropic API key": lambda: _wrap(
        "client = anthropic.Anthropic(api_key='{v}')", "sk-" + "ant-api03-" + rand(93, ALNUM + "_-") + "AA"
    ),
    "OpenRouter API key": lambda: _wrap('OPENROUTER_API_KEY="{v}"', "sk-" + "or-v1-" + rand(64, HEX)),
    "OpenAI API key": lambda: _wrap('client = OpenAI(api_key="{v}")', "sk-" + "proj-" + rand(40)),
    "API key (sk- prefix)": lambda: _wrap('client = OpenAI(base_url=u, api_key="{v}")', "sk-" + rand(32, HEX)),
    "Hugging Face token": lambda: _wrap('login(token="{v}")', "h" + "f_" + rand(34, string.ascii_letters)),
    "Cohere API key": lambda: _wrap('co = cohere.Client("{v}")', rand(40)),
    "Replicate API token": lambda: _wrap("REPLICATE_API_TOKEN={v}", "r8" + "_" + rand(37)),
    "Groq API key": lambda: _wrap('Groq(api_key="{v}")', "gs" + "k_" + rand(48)),
    "xAI API key": lambda: _wrap('XAI_API_KEY = "{v}"', "x" + "ai-" + rand(80)),
    "Perplexity API key": lambda: _wrap('PPLX = "{v}"', "pp" + "lx-" + rand(48)),
    "NVIDIA API key": lambda: _wrap('NVIDIA_API_KEY = "{v}"', "nv" + "api-" + rand(64, ALNUM + "_-")),
    "Tavily API key": lambda: _wrap('TavilyClient(api_key="{v}")', "tv" + "ly-" + rand(32)),
    "LangSmith API key": lambda: _wrap(
        'os.environ["LANGCHAIN_API_KEY"] = "{v}"', "lsv2" + "_pt_" + rand(32, HEX) + "_" + rand(10, HEX)
    ),
    "Pinecone API key": lambda: _wrap('Pinecone(api_key="{v}")', "pc" + "sk_" + rand(5) + "_" + rand(60, seed=3)),
    "Weights & Biases API key": lambda: _wrap('wandb.login(key="{v}")', rand(40, HEX)),
    "Kaggle API key": lambda: _wrap('{{"username":"ada","key":"{v}"}}', rand(32, HEX)),
    "Slack token": lambda: _wrap(
        'WebClient(token="{v}")',
        "xo" + "xb-" + rand(12, string.digits) + "-" + rand(13, string.digits) + "-" + rand(24),
    ),
    "Slack webhook URL": lambda: _wrap(
        "requests.post('{v}', json=msg)",
        "https://hooks.slack.com/services/T" + rand(8, B32) + "/B" + rand(8, B32) + "/" + rand(24),
    ),
    "Discord webhook URL": lambda: _wrap(
        "url = '{v}'", "https://discord.com/api/webhooks/" + rand(18, string.digits) + "/" + rand(68, ALNUM + "_-")
    ),
    "Telegram bot token": lambda: _wrap(
        "bot = telegram.Bot('{v}')", rand(10, "123456789") + ":" + "AA" + rand(33, ALNUM + "_-")
    ),
    "Stripe secret key": lambda: _wrap('stripe.api_key = "{v}"', "sk" + "_live_" + rand(24)),
    "Stripe test key": lambda: _wrap('stripe.api_key = "{v}"', "sk" + "_test_" + rand(24)),
    "Stripe webhook secret": lambda: _wrap('endpoint_secret = "{v}"', "wh" + "sec_" + rand(32)),
    "Twilio API key": lambda: _wrap("client = twilio.rest.Client('{v}', secret, sid)", "S" + "K" + rand(32, HEX)),
    "SendGrid API key": lambda: _wrap(
        "sg = SendGridAPIClient('{v}')", "S" + "G." + rand(22, ALNUM + "_-") + "." + rand(43, ALNUM + "_-")
    ),
    "JSON Web Token": lambda: _wrap("resp.json() -> {{'id_token': '{v}'}}", jwt({"sub": "u-42", "iat": 1700000000})),
    "HTTP basic credentials": lambda: _wrap(
        "-H 'Authorization: Basic {v}'", base64.b64encode(b"admin:" + rand(14).encode()).decode()
    ),
    "bearer token": lambda: _wrap('headers = {{"Authorization": "Bearer {v}"}}', rand(40)),
    "password in URL": lambda: _wrap(
        'engine = create_engine("postgresql://ml:{v}@db.prod.internal:5432/features")', rand(16)
    ),
    "secret in assignment": lambda: _wrap('MISTRAL_API_KEY = "{v}"', rand(32)),
    "password in assignment": lambda: _wrap("conn = psycopg2.connect(host=h, password='{v}')", rand(12) + "!"),
    # formats added for issue 15 (see nbsec/data/secrets/SOURCE.md)
    "Langfuse secret key": lambda: _wrap('LANGFUSE_SECRET_KEY = "{v}"', "sk-" + "lf-" + _uuid()),
    "ElevenLabs API key": lambda: _wrap('ElevenLabs(api_key="{v}")', "sk" + "_" + rand(48, HEX)),
    "Shopify access token": lambda: _wrap('hdrs = {{"X-Shopify-Access-Token": "{v}"}}', "shp" + "at_" + rand(32, HEX)),
    "Square access token": lambda: _wrap('Client(access_token="{v}")', "sq0" + "atp-" + rand(22, ALNUM + "_-")),
    "DigitalOcean token": lambda: _wrap("DIGITALOCEAN_TOKEN={v}", "do" + "p_v1_" + rand(64, HEX)),
    "Linear API key": lambda: _wrap('LINEAR_API_KEY = "{v}"', "lin" + "_api_" + rand(40)),
    "Notion integration token": lambda: _wrap(
        'notion = Client(auth="{v}")', "nt" + "n_" + rand(11, string.digits) + rand(35)
    ),
    "Grafana token": lambda: _wrap('GRAFANA_TOKEN = "{v}"', "gl" + "sa_" + rand(32) + "_" + rand(8, HEX)),
    "New Relic API key": lambda: _wrap(
        'NEW_RELIC_API_KEY = "{v}"', "NR" + "AK-" + rand(27, string.ascii_uppercase + string.digits)
    ),
    "Sentry token": lambda: _wrap("SENTRY_AUTH_TOKEN={v}", "sntr" + "yu_" + rand(64, HEX)),
    "HashiCorp Vault token": lambda: _wrap('hvac.Client(url=u, token="{v}")', "hv" + "s." + rand(95, ALNUM + "_-")),
    "Postman API key": lambda: _wrap("POSTMAN_API_KEY={v}", "PM" + "AK-" + rand(24, HEX) + "-" + rand(34, HEX, seed=1)),
    "Supabase key": lambda: _wrap("SUPABASE_ACCESS_TOKEN={v}", "sb" + "p_" + rand(40, HEX)),
    "PlanetScale token": lambda: _wrap("PLANETSCALE_TOKEN={v}", "pscale" + "_tkn_" + rand(43)),
    "Doppler token": lambda: _wrap("DOPPLER_TOKEN={v}", "dp" + ".pt." + rand(43)),
    "age secret key": lambda: _wrap(
        "# created: 2024-05-01\n{v}\n", "AGE-" + "SECRET-KEY-1" + rand(58, "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L")
    ),
    "Artifactory API key": lambda: _wrap("ARTIFACTORY_API_KEY={v}", "AK" + "Cp" + rand(69)),
    "RubyGems API key": lambda: _wrap("GEM_HOST_API_KEY={v}", "ruby" + "gems_" + rand(48, HEX)),
    "Atlassian API token": lambda: _wrap("JIRA_API_TOKEN={v}", "ATA" + "TT3" + rand(180, ALNUM + "_-")),
    "Prefect API key": lambda: _wrap("PREFECT_API_KEY={v}", "pn" + "u_" + rand(36)),
    "Pulumi access token": lambda: _wrap("PULUMI_ACCESS_TOKEN={v}", "pu" + "l-" + rand(40, HEX)),
    "Firecrawl API key": lambda: _wrap('FirecrawlApp(api_key="{v}")', "f" + "c-" + rand(32, HEX)),
    "E2B API key": lambda: _wrap("E2B_API_KEY={v}", "e2" + "b_" + rand(40, HEX)),
    "Databricks OAuth secret": lambda: _wrap("DATABRICKS_CLIENT_SECRET={v}", "do" + "se" + rand(32, HEX)),
    "Mailgun API key": lambda: _wrap('requests.post(mailgun_url, auth=("api", "{v}"))', "ke" + "y-" + rand(32, HEX)),
    "Mailchimp API key": lambda: _wrap('mailchimp.set_config({{"api_key": "{v}"}})', rand(32, HEX) + "-us" + "6"),
    "Discord bot token": lambda: _wrap(
        'discord_client.run("{v}")', "M" + rand(23) + "." + rand(6, ALNUM + "_-") + "." + rand(27, ALNUM + "_-")
    ),
    "Microsoft Teams webhook URL": lambda: _wrap(
        'requests.post("{v}", json=card)',
        "https://contoso.webhook.office.com/webhookb2/"
        + _uuid()
        + "@"
        + _uuid(1)
        + "/IncomingWebhook/"
        + rand(32, HEX)
        + "/"
        + _uuid(2),
    ),  # fmt: skip
    "Zapier webhook URL": lambda: _wrap(
        "requests.post('{v}', json=row)",
        "https://hooks.zapier.com/hooks/catch/"
        + rand(7, string.digits)
        + "/"
        + rand(6, string.ascii_lowercase + "0123"),
    ),
    "Google Chat webhook URL": lambda: _wrap(
        "requests.post('{v}', json=msg)",
        "https://chat.googleapis.com/v1/spaces/AAAA"
        + rand(7)
        + "/messages?key="
        + rand(39, ALNUM + "_-")
        + "&token="
        + rand(43, ALNUM + "_-"),
    ),  # fmt: skip
    "Slack app token": lambda: _wrap(
        'SLACK_APP_TOKEN = "{v}"',
        "xa"
        + "pp-1-A"
        + rand(10, string.ascii_uppercase + string.digits)
        + "-"
        + rand(13, string.digits)
        + "-"
        + rand(64, HEX),
    ),  # fmt: skip
    "password on a command line": lambda: _wrap("!curl -u ada:{v} https://api.internal.io/data", rand(12) + "!"),
    "password in .netrc": lambda: _wrap("machine api.internal.io\n  login ada\n  password {v}\n", rand(14)),
    "session cookie": lambda: _wrap(
        "Cookie: sessionid={v}; csrftoken=abc", rand(32, string.ascii_lowercase + string.digits)
    ),
    "high-entropy value in a config file": lambda: _wrap("APP_MIMI={v}\nDEBUG=1\n", rand(40, B64)),
}
# Kinds that only exist in one syntax: the context their sample is read in (default: a code cell).
CONTEXTS = {"high-entropy value in a config file": TextContext("text", mime="text/x-dotenv")}


def _uuid(seed: int = 0) -> str:
    return "-".join(rand(n, HEX, seed=seed) for n in (8, 4, 4, 4, 12))


def test_every_kind_has_a_positive_sample() -> None:
    assert set(detector_kinds()) <= set(POSITIVES)


def test_detector_table_is_well_formed() -> None:
    for det in DETECTORS:
        assert det.keywords, det.kind
        assert det.group in det.pattern.groupindex, det.kind
        if det.lower:
            assert all(k == k.lower() for k in det.keywords), det.kind
        if det.token:
            # the anchor scan finds a token by its first "_" or "-" within a few characters
            for keyword in det.keywords:
                head = min((keyword.find(sep) for sep in "_-" if sep in keyword), default=-1)
                assert 0 < head <= 12, (det.kind, keyword)


@pytest.mark.parametrize("kind", sorted(POSITIVES))
def test_positive_sample_is_found(kind: str) -> None:
    text, secret = POSITIVES[kind]()
    matches = find(text, CONTEXTS.get(kind, CODE))
    assert [(m.kind, m.value) for m in matches] == [(kind, secret)]
    (m,) = matches
    assert text[m.start : m.end] == secret
    assert m.rule is SECRET_IN_SOURCE


def test_rule_samples() -> None:
    """The catalogue's own samples for NBSEC-NB-010 behave as the rule says."""
    assert [m.kind for m in find(SECRET_IN_SOURCE.sample_trigger)] == ["OpenAI API key"]
    assert find(SECRET_IN_SOURCE.sample_clean) == []


def test_severity_and_confidence() -> None:
    by_kind = {kind: find(POSITIVES[kind]()[0], CONTEXTS.get(kind, CODE))[0] for kind in POSITIVES}
    assert by_kind["private key"].severity is Severity.CRITICAL
    assert by_kind["GCP service-account private key"].severity is Severity.CRITICAL
    assert by_kind["encrypted private key"].severity is Severity.HIGH
    assert by_kind["Stripe test key"].severity is Severity.MEDIUM
    assert by_kind["Stripe secret key"].severity is None  # the rule's default (high)
    assert by_kind["OpenAI API key"].confidence is Confidence.HIGH
    assert by_kind["secret in assignment"].confidence is Confidence.MEDIUM
    assert by_kind["password in assignment"].confidence is Confidence.MEDIUM


def test_rule_follows_the_part() -> None:
    text, _ = POSITIVES["AWS access key id"]()
    for part, rule in [
        ("code", SECRET_IN_SOURCE),
        ("markdown", SECRET_IN_SOURCE),
        ("metadata", SECRET_IN_SOURCE),
        ("output-stream", SECRET_IN_OUTPUT),
        ("output-error", SECRET_IN_OUTPUT),
        ("kernel-env", SECRET_IN_OUTPUT),
        ("history", SECRET_IN_OUTPUT),
    ]:
        assert [m.rule for m in find(text, TextContext(part))] == [rule]


def test_gcp_key_is_one_finding_not_two() -> None:
    text, key = _gcp()
    assert [(m.kind, m.value) for m in find(text, STREAM)] == [("GCP service-account private key", key)]


def test_truncated_private_key_is_found() -> None:
    text = "print(open('id_rsa').read()[:500])\n" + pem("OPENSSH PRIVATE KEY", end=False)[:480]
    assert [m.kind for m in find(text, STREAM)] == ["private key"]


def test_legacy_openai_key_and_project_key_with_marker() -> None:
    legacy = "sk-" + rand(20) + "T3Blbk" + "FJ" + rand(20, seed=1)
    assert [(m.kind, m.confidence) for m in find(f"openai.api_key = '{legacy}'")] == [
        ("OpenAI API key", Confidence.HIGH)
    ]


# --------------------------------------------------------------------------- keyword-anchored forms


@pytest.mark.parametrize(
    "template",
    [
        'api_key = "{v}"',
        "api_key='{v}'",
        '"token": "{v}"',
        "{{'access_token': '{v}'}}",
        'PASSWORD="{v}"',
        'os.environ["X_TOKEN"] = "{v}"',
        'os.environ.setdefault("HF_API_TOKEN", "{v}")',
        "self.client_secret = '{v}'",
        'api_key: str = "{v}"',
        "%env SERVICE_API_KEY={v}",
        "!python train.py --api-key {v} --epochs 3",
        "!curl -d token={v} https://example.org",
        "export SECRET_KEY={v}",
        'json.dumps({{\\"apiKey\\": \\"{v}\\"}})',
        "db_pass := '{v}'",
    ],
)
def test_generic_assignment_forms(template: str) -> None:
    value = rand(24, seed=7)
    text = template.format(v=value)
    assert values(text) == [value], text


@pytest.mark.parametrize(
    "text",
    [
        "password: {v}\nuser: ml",  # YAML in markdown
        "API_TOKEN={v}\nDEBUG=1\n",  # a .env file pasted in markdown
        "my password is {v}",
    ],
)
def test_generic_in_markdown(text: str) -> None:
    value = rand(14, seed=8) + "#"
    assert values(text.format(v=value), MARKDOWN) == [value]


def test_span_is_the_value_not_the_assignment() -> None:
    value = rand(24)
    text = f'config = {{"api_key": "{value}", "model": "gpt-4o"}}'
    (m,) = find(text)
    assert (m.start, m.end) == (text.index(value), text.index(value) + len(value))


def test_dataframe_column_named_like_a_credential() -> None:
    value = rand(20, seed=9)
    assert values(value, TextContext("output-html", column="api_token")) == [value]
    assert values(value, TextContext("output-html", column="user_id")) == []


# --------------------------------------------------------------------------- prose


@pytest.mark.parametrize(
    "template",
    [
        "my key is {v} so don't share it",
        "Use {v}.",
        "(the token was {v})",
        "> **Note**: key `{v}` expires Friday",
    ],
)
def test_keys_in_prose_are_found(template: str) -> None:
    secret = "sk-" + "proj-" + rand(48, ALNUM + "_-")
    assert values(template.format(v=secret), MARKDOWN) == [secret]


def test_several_keys_in_one_text_are_all_found() -> None:
    gh = "gh" + "p_" + rand(36)
    hf = "h" + "f_" + rand(34, string.ascii_letters)
    aws = "AK" + "IA" + rand(16, B32)
    text = f"tokens:\n- {gh}\n- {hf}\n- {aws}\n"
    assert values(text, MARKDOWN) == [gh, hf, aws]


# --------------------------------------------------------------------------- look-alikes per kind

LOOKALIKES = [
    # private keys: placeholders, public keys, certificates
    "-----BEGIN " + "RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----",
    "-----BEGIN " + "PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC...\n-----END PRIVATE KEY-----",
    "-----BEGIN PUBLIC KEY-----\n" + rand(64, B64) + "\n-----END PUBLIC KEY-----",
    "-----BEGIN CERTIFICATE-----\n" + rand(64, B64) + "\n-----END CERTIFICATE-----",
    '"type": "service_account", "private_key": "<your key here>"',
    # AWS (its documentation pair is a low finding named for what it is: test below)
    "AKIA" + rand(10, B32),  # too short
    "akia" + rand(16, B32).lower(),
    # Azure
    "AccountKey=" + "x" * 86 + "==",
    "https://host/path?sig=" + rand(40),  # no sv=: not a SAS URL
    # Google, GitHub, GitLab, registries
    "AIza" + "SyXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "AIza" + rand(20),
    "ghp_" + "x" * 36,
    "gh" + "p_" + rand(20),
    "github_pat_" + "X" * 82,
    "glpat-" + "xxxxxxxxxxxxxxxxxxxx",
    "npm_" + "0" * 36,
    "dapi" + "0123456789abcdef0123456789abcdef",
    # model APIs
    "sk-xxxx",
    "sk-...",
    "sk-" + "x" * 48,
    "sk-your-openai-api-key-goes-here-please",
    "sk-learn-compatible-wrapper-for-gradient-boosting",
    "risk-" + rand(30).lower(),
    "sk-ant-api03-" + "X" * 93 + "AA",
    "hf_hub_download(repo_id='bert-base-uncased', filename='config.json')",
    "hf_" + "requiredCharacteristicTypesForDisplayMeta"[:34],  # camelCase, not random
    "hf_" + "x" * 34,
    "cohere commit " + rand(40, HEX),  # a git SHA next to the keyword
    "r8_" + "x" * 37,
    "gsk_" + "x" * 48,
    "tvly-" + "YOUR_API_KEY_HERE_1234567890ab",
    "wandb.login(key=os.environ['WANDB_API_KEY'])",
    # messaging, payments
    "xoxb-" + "your-bot-token",
    "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    "sk_test_" + "x" * 24,
    "sk_live_" + "..." * 8,
    "SK" + rand(32, HEX),  # hex after SK, but nothing says twilio
    "SG." + rand(10),
    # tokens in transit
    "eyJ" + rand(20) + ".eyJ" + rand(20) + "." + rand(30),  # not base64url JSON
    jwt({"sub": "1234567890", "name": "John Doe", "iat": 1516239022}),  # jwt.io's sample claims
    "Authorization: Bearer {token}",
    "Authorization: Bearer $OPENAI_API_KEY",
    "Authorization: Bearer <token>",
    "Authorization: Basic " + base64.b64encode(b"nocolon").decode(),
    # passwords in URLs
    "postgresql://user:****@db:5432/x",
    "postgresql://user:${DB_PASSWORD}@db:5432/x",
    "postgresql://user:{password}@db:5432/x",
    "postgresql://user:<password>@db:5432/x",
    "postgresql://user:password@db:5432/x",
    "mysql://root:xxx@localhost/db",
    "https://user:pass@example.com/",
    "redis://:{pw}@host:6379",
    "git@github.com:org/repo.git",
]


@pytest.mark.parametrize(
    "text",
    ["AKIA" + "IOSFODNN7" + "EXAMPLE", 'aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY' + 'EXAMPLEKEY"'],
)
def test_aws_documentation_example_pair_is_low_and_says_so(text: str) -> None:
    # detect-secrets reports AWS's documentation pair; it opens no account, so nbsec says low and names it.
    (match,) = find(text)
    assert (match.kind, match.severity, match.confidence) == (
        "AWS documentation example key",
        Severity.LOW,
        Confidence.LOW,
    )


@pytest.mark.parametrize("text", LOOKALIKES)
def test_lookalike_is_not_a_finding(text: str) -> None:
    assert find(text) == [] and find(text, STREAM) == [], text


# --------------------------------------------------------------------------- false-positive regressions

FALSE_POSITIVES = [
    # UUIDs
    "run_id = '3f2b8c1e-9d4a-4e7b-8c2f-1a6d5e9b0c3f'",
    '"request_token": "3f2b8c1e-9d4a-4e7b-8c2f-1a6d5e9b0c3f"',
    # git SHAs
    "commit " + rand(40, HEX) + "\nAuthor: Ada <ada@example.org>",
    "revision = '" + rand(40, HEX) + "'",
    "model = AutoModel.from_pretrained('bert-base-uncased', revision='" + rand(40, HEX) + "')",
    # digests
    '"sha256": "' + rand(64, HEX) + '"',
    "sha512sum: " + rand(128, HEX),
    "torch==2.4.0 --hash=sha256:" + rand(64, HEX),
    "token_sha256 = '" + rand(64, HEX) + "'",
    rand(64, HEX),
    "checksum = hashlib.sha256(data).hexdigest()  # " + rand(64, HEX),
    # placeholders
    'openai.api_key = "sk-xxxx"',
    'OPENAI_API_KEY="sk-..."',
    'api_key = "YOUR_API_KEY"',
    'api_key = "<token>"',
    'token = "{API_KEY}"',
    "TOKEN=${TOKEN}",
    'password = "changeme"',
    'api_key = "example-api-key-123"',
    'secret = "aaaaaaaaaaaaaaaaaaaa"',
    'token = "..."',
    'password = "********"',
    'api_key = "INSERT_KEY_HERE_0000"',
    # camelCase identifiers and references
    "apiKeyName = getApiKeyFromEnv",
    '"secretKey": "mySecretKeyValue"',
    "api_key = os.environ['OPENAI_API_KEY']",
    'api_key = os.getenv("OPENAI_API_KEY")',
    "api_key = config.key",
    "api_key = settings.openai.api_key",
    "token = getpass.getpass('token: ')",
    "password = input('Password: ')",
    "api_key: str = Field(default=None, description='the key')",
    "secret_access_key = credentials.secret_key",
    'api_key_env = "OPENAI_API_KEY"',
    'secret_name = "prod-db-password"',
    "token = hf_token",
    "def connect(password):\n    if password:\n        return password",
    # empty strings
    'api_key = ""',
    "password=''",
    # tokenizers: the most common "token" in ML notebooks
    'tokenizer.pad_token = tokenizer.eos_token\nspecial = {"bos_token": "<s>", "eos_token": "</s>"}',
    '{"pad_token": "[PAD]", "unk_token": "[UNK]", "cls_token": "[CLS]", "mask_token": "[MASK]"}',
    "outputs = model.generate(**inputs, max_new_tokens=256, pad_token_id=tokenizer.eos_token_id)",
    '"tokenizer_class": "PreTrainedTokenizerFast", "token_type_ids": [0, 0, 0]',
    "for key, value in sorted(d.items(), key=lambda kv: kv[1]):",
    "cache_key = 'features_v2_" + rand(16, HEX) + "'",
    "secret_key_ref = {'name': 'db-credentials', 'key': 'password'}",
    "The token is valid for 24 hours; keep the password in a secrets manager.",
    # found by scanning real site-packages code (pygments, numpy, torch, tornado, debugpy, ...)
    "COCOA = {'ACAccount', 'ACAccountCredential', 'ACAccountCredentialStoreViewController', 'ACAccountType'}",
    "data = cls._read_csv(join(pwd, './data/philox-testset-1.csv'))",
    '"pwd": "IPython.core.magics.osm:OSMagics",',
    'return getattr(custom_pass, "__qualname__", None) or type(custom_pass).__qualname__',
    "using PassThrough = ck::tensor_operation::element_wise::PassThrough;",
    '"license_key": "389-exception", "spdx_license_key": "LicenseRef-scancode-3com-microcode",',
    'publicKeyToken="1fc8b3b9a1e18e3b"',
    "token = b'#0123FakeToken4567/8/9'",
    '__slots__ = ["access_token", "client_access_token", "_authenticated", "_wrong_attempts"]',
    'null_token: str = "__null_token_value__"',
    'COOKIE_SECRET = "WebTest.COOKIE_SECRET"',
    "'smb://myuser:mypassword@myserver.com/' 'share/folder/file.csv'",
    "'github://org:repo@sha/precip/catalog.yml'",
    "# } TOKEN_USER, *PTOKEN_USER;",
    "def DuplicateToken(ExistingTokenHandle, ImpersonationLevel=SecurityImpersonation):",
    "def RegOpenUserClassesRoot(hToken, samDesired=KEY_ALL_ACCESS):",
    # everyday ML notebook output
    "Token is valid (permission: write).\nYour token has been saved to /root/.cache/huggingface/token\n",
    "wandb: Currently logged in as: ada (ml-team). Use `wandb login --relogin` to force relogin",
    "Successfully installed safetensors-0.4.5 tokenizers-0.19.1 transformers-4.44.2",
    "environ({'GPG_KEY': '" + rand(40, "0123456789ABCDEF") + "', 'PYTHON_SHA256': '" + rand(64, HEX) + "'})",
    "GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-3f2b8c1e-9d4a-4e7b-8c2f-1a6d5e9b0c3f)",
    'Downloading: "https://download.pytorch.org/models/resnet18-f37072fd.pth" to /root/.cache/torch/hub/',
    "ChatCompletion(id='chatcmpl-" + rand(29) + "', usage=CompletionUsage(completion_tokens=17, prompt_tokens=9,"
    " total_tokens=26), system_fingerprint='fp_" + rand(10, HEX) + "')",
    '{"shell_port": 53794, "key": "3f2b8c1e-9d4a-4e7b-8c2f-1a6d5e9b0c3f", "signature_scheme": "hmac-sha256"}',
    "model.push_to_hub('ada/bert-finetuned-sst2', token=True, private=True)",
    "tokenizer = AutoTokenizer.from_pretrained(model_id, token=os.environ['HF_TOKEN'], use_fast=True)",
]


@pytest.mark.parametrize("text", FALSE_POSITIVES)
def test_false_positive_regression(text: str) -> None:
    for context in (CODE, MARKDOWN, STREAM):
        assert find(text, context) == [], (text, context)


def _png_base64_with_keylike_runs() -> str:
    """A base64 'image' whose bytes happen to spell key prefixes: pixels are not secrets."""
    rng = random.Random(4)
    blob = base64.b64encode(bytes(rng.randrange(256) for _ in range(6000))).decode()
    aws = "AKIA" + rand(16, B32)
    goog = "AIza" + rand(35)
    return blob[:1000] + aws + blob[1000:3000] + "/" + goog + "/" + blob[3000:]


def test_base64_image_outputs_are_not_findings() -> None:
    data = _png_base64_with_keylike_runs()
    assert find(data, TextContext("output-json", mime="image/png")) == []
    html = f'<img src="data:image/png;base64,{data}" alt="loss curve"/>'
    assert find(html, TextContext("output-html", mime="text/html")) == []
    # the same run in plain text output: still a blob, not a key
    assert find(data, STREAM) == []


def test_secret_next_to_an_image_is_still_found() -> None:
    key = "gh" + "p_" + rand(36)
    html = f'<img src="data:image/png;base64,{_png_base64_with_keylike_runs()}"/><pre>GITHUB_TOKEN={key}</pre>'
    assert values(html, TextContext("output-html", mime="text/html")) == [key]


def test_svg_output_is_scanned() -> None:
    key = "gh" + "p_" + rand(36)
    svg = f"<svg><text>{key}</text></svg>"
    assert values(svg, TextContext("output-text", mime="image/svg+xml")) == [key]


def test_jupyter_server_token_in_a_url_is_found() -> None:
    """`!jupyter server list` output: the token opens the server (code execution) to whoever has it."""
    token = rand(48, HEX)
    assert values(f"http://localhost:8888/lab?token={token} :: /home/ada", STREAM) == [token]


def test_url_password_on_localhost_is_low_confidence() -> None:
    (m,) = find("postgresql://ml:" + rand(12) + "@localhost:5432/dev")
    assert m.confidence is Confidence.LOW and m.severity is Severity.MEDIUM


# --------------------------------------------------------------------------- robustness


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=400),
    st.sampled_from(["code", "markdown", "output-stream", "output-html", "metadata", "kernel-env"]),
)
def test_never_raises_and_spans_are_exact(text: str, part: str) -> None:
    for m in find_secrets(text, TextContext(part)):
        assert text[m.start : m.end] == m.value
        assert 0 <= m.start < m.end <= len(text)


_FRAGMENTS = [
    "sk-", "sk-proj-", "sk-ant-api03-", "ghp_", "hf_", "AKIA", "AIza", "eyJ", "xoxb-", "SG.", "r8_", "gsk_",
    "api_key", "token", "password", "secret", " = ", ": ", "=", '"', "'", "://", "@", ":", "-----BEGIN ",
    "PRIVATE KEY-----", "-----END ", "\n", "\\n", "Bearer ", "Authorization: Basic ", "service_account",
    "private_key", "twilio", "SK", "cohere", "wandb login ", "sig=", "sv=", "AccountKey=", "base64,",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(st.sampled_from(_FRAGMENTS), st.text(alphabet=ALNUM + "+/_-.", min_size=1, max_size=60)),
        max_size=30,
    )
)
def test_key_shaped_noise_keeps_invariants(pieces: list[str]) -> None:
    text = "".join(pieces)
    spans = []
    for m in find_secrets(text, CODE):
        assert text[m.start : m.end] == m.value
        spans.append((m.start, m.end))
    # findings never overlap: one stretch of text is one secret
    spans.sort()
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:], strict=False))


def test_pathological_inputs_stay_linear() -> None:
    """Long runs that could make a careless regex backtrack: must return (no timing assert)."""
    texts = [
        "api_key = " + "a" * 100_000,
        "-----BEGIN " + "PRIVATE KEY-----" + "A" * 50_000,
        "://" + "a" * 50_000 + ":" + "b" * 50_000,
        "eyJ" + "a" * 50_000 + ".eyJ" + "b" * 50_000,
        "sk-" * 30_000,
        "token=" * 20_000,
        "Bearer " * 20_000,
        "cohere " + "x" * 100_000,
    ]
    for text in texts:
        for m in find_secrets(text, CODE):
            assert text[m.start : m.end] == m.value


# --------------------------------------------------------------------------- redaction


def test_redact_shape_and_stability() -> None:
    value = "sk-" + "proj-" + rand(40)
    red = redact(value)
    digest = hashlib.sha256(value.encode()).hexdigest()[:8]
    assert red == f"sk-p\u2026[sha256:{digest}]"
    assert redact(value) == red  # stable
    assert value not in red and value[4:12] not in red


@pytest.mark.parametrize("value", ["hunter22", "pw12", "abc", "x", "Zq9!", rand(11)])
def test_redact_short_values_reveal_at_most_a_quarter(value: str) -> None:
    red = redact(value)
    prefix = red.split("\u2026", 1)[0]
    assert len(prefix) <= len(value) // 4
    assert value[len(prefix) :] not in red.split("[sha256:", 1)[0]


@given(st.text(min_size=8, max_size=200))
def test_redact_never_contains_the_value(value: str) -> None:
    assert value not in redact(value)


def test_redact_in_replaces_every_span() -> None:
    a, b = rand(20, seed=1), rand(20, seed=2)
    text = f"key1={a} key2={b}"
    spans = [(text.index(b), text.index(b) + len(b)), (text.index(a), text.index(a) + len(a))]
    out = redact_in(text, spans)
    assert a not in out and b not in out
    assert out.startswith("key1=") and " key2=" in out
    assert redact_in(text, []) == text
    # overlapping spans are merged, not redacted twice (which would print the overlap)
    merged = redact_in(text, [(5, 15), (10, 25)])
    assert text[5:25] not in merged and text[10:15] not in merged


def test_snippet_shows_context_and_hides_the_secret() -> None:
    key = "gh" + "p_" + rand(36)
    other = "h" + "f_" + rand(34, string.ascii_letters)
    text = "import os\n" + f'os.environ["GITHUB_TOKEN"] = "{key}"; os.environ["HF_TOKEN"] = "{other}"\nprint(1)'
    ks, os_ = text.index(key), text.index(other)
    out = snippet(text, ks, ks + len(key), width=40, others=[(os_, os_ + len(other))])
    assert key not in out and other not in out
    assert key[6:20] not in out and other[6:20] not in out
    assert 'os.environ["GITHUB_TOKEN"] = "ghp_' in out
    assert "\n" not in out and "import os" not in out
    assert len(out) < 2 * 40 + 2 * 30


def test_snippet_widens_rather_than_cuts_a_neighbouring_secret() -> None:
    key = rand(30, seed=5)
    neighbour = rand(30, seed=6)
    text = f"{neighbour} {key}"
    ks = text.index(key)
    out = snippet(text, ks, ks + len(key), width=5, others=[(0, len(neighbour))])
    assert neighbour[5:] not in out and neighbour[-5:] not in out
    assert out.count("[sha256:") == 2


def test_snippet_collapses_a_multiline_secret() -> None:
    key = pem()
    text = f'KEY = """{key}"""'
    out = snippet(text, text.index(key), text.index(key) + len(key))
    assert "\n" not in out and key.splitlines()[1] not in out
    assert out.startswith('KEY = """----\u2026[sha256:')


def test_matches_redact_cleanly_end_to_end() -> None:
    """What a reporter does with a Match: the evidence never holds the value."""
    for kind, build in POSITIVES.items():
        text, secret = build()
        for m in find(text, CONTEXTS.get(kind, CODE)):
            evidence = snippet(text, m.start, m.end)
            assert secret not in evidence, kind
            assert redact(m.value) in evidence.replace("\n", " ") or "[sha256:" in evidence
