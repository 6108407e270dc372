"""The vendor table: one Detector per credential format, in priority order.

Provider formats follow the vendors' documented prefixes; several shapes were cross-checked
against gitleaks' rules (MIT): see nbsec/data/secrets/SOURCE.md. Every entry has a positive
sample built at run time in tests/unit/test_secrets.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from nbsec.model import Confidence, Severity
from nbsec.scanners.notebook.secrets_formats import (
    ACCEPT,
    Detector,
    Verdict,
    aws_key_id,
    aws_secret,
    basic_auth,
    bearer,
    cli_password,
    hex_token,
    jwt,
    letters_token,
    openai,
    private_key,
    session_value,
    token_ok,
    url_password,
    url_password_match,
)
from nbsec.scanners.notebook.secrets_values import HEX, random_enough


def _c(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


_L = r"(?<![A-Za-z0-9_\-])"  # left edge of a token: not inside a longer word
_R = r"(?![A-Za-z0-9_\-])"  # right edge
_LB64 = r"(?<![A-Za-z0-9+/])"  # left edge for base64-alphabet keys (not inside a base64 run)
_RB64 = r"(?![A-Za-z0-9+/])"
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
CLI_KIND = "password on a command line"
NETRC_KIND = "password in .netrc"

# Order matters: when two detectors claim overlapping text, the earlier one wins (GCP key
# JSON before the bare PEM it contains, Anthropic before the generic "sk-" shape, ...).
DETECTORS: tuple[Detector, ...] = (
    # --- private keys -------------------------------------------------------------
    Detector(
        "GCP service-account private key",
        ("service_account",),
        _c(
            r"""["']private_key["']\s*:\s*["'](?P<v>-----BEGIN [A-Z ]{0,20}PRIVATE KEY-----"""
            r"""[^"']{40,16000}?-----END [A-Z ]{0,20}PRIVATE KEY-----(?:\\n|\n)?)["']"""
        ),
        private_key,
        severity=Severity.CRITICAL,
        lower=True,
    ),
    Detector(
        "private key",
        ("PRIVATE KEY",),
        _c(
            r"(?P<v>-----BEGIN (?:[A-Z0-9]{1,12} ){0,3}PRIVATE KEY(?: BLOCK)?-----"
            r"[A-Za-z0-9+/=\s\\:,.()\-]{24,16000}?-----END (?:[A-Z0-9]{1,12} ){0,3}PRIVATE KEY(?: BLOCK)?-----)"
        ),
        private_key,
        severity=Severity.CRITICAL,
    ),
    Detector(  # a key whose END line was cut off (truncated output, a partial paste)
        "private key",
        ("PRIVATE KEY",),
        _c(
            r"(?P<v>-----BEGIN (?:[A-Z0-9]{1,12} ){0,3}PRIVATE KEY(?: BLOCK)?-----"
            r"(?:\\[rn]|\s){1,4}[A-Za-z0-9+/=]{64,16000})"
        ),
        private_key,
        severity=Severity.CRITICAL,
    ),
    # --- cloud ----------------------------------------------------------------------
    Detector(
        "AWS access key id",
        ("AKIA", "ASIA", "ABIA", "ACCA"),
        _c(_LB64 + r"(?P<v>(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})" + _RB64),
        aws_key_id,
    ),
    Detector(
        "AWS secret access key",
        ("secret",),
        _c(
            r"(?i:aws_?secret_?access_?key|aws_?secret_?key|secret_?access_?key|aws_?secret)"
            r"""[\\"'\]]{0,3}\s{0,4}(?:=|:|=>|,)\s{0,4}[\\"']{0,2}"""
            + _LB64
            + r"(?P<v>[A-Za-z0-9/+]{40})"
            + r"(?![A-Za-z0-9/+=])"
        ),
        aws_secret,
        lower=True,
    ),
    Detector(
        "Azure storage account key",
        ("AccountKey=",),
        _c(r"AccountKey=(?P<v>[A-Za-z0-9+/]{86}==)"),
        token_ok(4.0),
    ),
    Detector(
        "Azure shared access key",
        ("SharedAccessKey=",),
        _c(r"SharedAccessKey=(?P<v>[A-Za-z0-9+/]{42,43}=)"),
        token_ok(4.0),
    ),
    Detector(
        "Azure SAS token signature",
        ("sig=",),
        _c(r"[?&]sig=(?P<v>[A-Za-z0-9%+/]{30,120}(?:%3D|=){0,2})"),
        token_ok(3.5),
        requires=("sv=",),
    ),
    Detector(
        "Google API key",
        ("AIza",),
        _c(_L + r"(?P<v>AIza[0-9A-Za-z_\-]{35})" + _R),
        token_ok(3.5),
    ),
    Detector(
        "Google OAuth client secret",
        ("GOCSPX-",),
        _c(_L + r"(?P<v>GOCSPX-[A-Za-z0-9_\-]{28})" + _R),
        token_ok(3.5),
        token=True,
    ),
    Detector(
        "Google OAuth access token",
        ("ya29.",),
        _c(_L + r"(?P<v>ya29\.[0-9A-Za-z_\-]{30,2000})" + _R),
        token_ok(3.5),
    ),
    Detector(
        "Databricks personal access token",
        ("dapi",),
        _c(_L + r"(?P<v>dapi[0-9a-f]{32}(?:-\d)?)" + _R),
        token_ok(3.0),
    ),
    # --- code hosting and package registries -------------------------------------
    Detector(
        "GitHub token",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
        _c(_L + r"(?P<v>gh[pousr]_[A-Za-z0-9]{36,251})" + _R),
        token_ok(3.5),
        token=True,
    ),
    Detector(
        "GitHub fine-grained token",
        ("github_pat_",),
        _c(_L + r"(?P<v>github_pat_[A-Za-z0-9_]{70,250})" + _R),
        token_ok(3.5),
        token=True,
    ),
    Detector(
        "GitLab token",
        ("glpat-", "gldt-", "glrt-", "glptt-", "glcbt-", "gloas-"),
        _c(_L + r"(?P<v>gl(?:pat|dt|rt|ptt|cbt|oas)-[A-Za-z0-9_\-]{20,64}(?:\.[A-Za-z0-9_\-]{2,64}){0,2})" + _R),
        token_ok(3.0),
        token=True,
    ),
    Detector("npm access token", ("npm_",), _c(_L + r"(?P<v>npm_[A-Za-z0-9]{36})" + _R), token_ok(3.5), token=True),
    Detector(
        "PyPI API token",
        ("pypi-AgE",),
        _c(_L + r"(?P<v>pypi-AgE[A-Za-z0-9_\-]{50,1000})" + _R),
        token_ok(3.5),
        token=True,
    ),
    Detector(
        "Docker Hub access token",
        ("dckr_pat_",),
        _c(_L + r"(?P<v>dckr_pat_[A-Za-z0-9_\-]{27})" + _R),
        token_ok(3.5),
        token=True,
    ),
    # --- model APIs and ML platforms ---------------------------------------------------
    Detector(
        "Anthropic API key",
        ("sk-ant-",),
        _c(_L + r"(?P<v>sk-ant-(?:api|admin|oat|ort|sid)\d{2}-[A-Za-z0-9_\-]{32,200})" + _R),
        token_ok(3.5),
        token=True,
    ),
    Detector(
        "Langfuse secret key", ("sk-lf-",), _c(_L + r"(?P<v>sk-lf-" + _UUID + ")" + _R), token_ok(3.0), token=True
    ),
    Detector(
        "OpenRouter API key", ("sk-or-",), _c(_L + r"(?P<v>sk-or-v1-[0-9a-f]{64})" + _R), token_ok(3.0), token=True
    ),
    Detector(
        "OpenAI API key",
        ("sk-",),
        _c(_L + r"(?P<v>sk-(?:(?:proj|svcacct|admin|None)-)?[A-Za-z0-9_\-]{20,250})" + _R),
        openai,
        token=True,
    ),
    Detector(
        "Hugging Face token",
        ("hf_", "api_org_"),
        _c(_L + r"(?P<v>(?:hf|api_org)_[A-Za-z]{34})" + _R),
        letters_token,
        token=True,
    ),
    Detector(
        "Cohere API key",
        ("cohere", "co_api_key"),
        _c(r"(?i:cohere|co_api_key)[^\n]{0,80}?" + _L + r"(?P<v>[A-Za-z0-9]{40})" + _R),
        lambda v, t: ACCEPT if not HEX.fullmatch(v) and random_enough(v, 4.0, 3) else None,
        lower=True,
    ),
    Detector("Replicate API token", ("r8_",), _c(_L + r"(?P<v>r8_[A-Za-z0-9]{37})" + _R), token_ok(3.5), token=True),
    Detector("Groq API key", ("gsk_",), _c(_L + r"(?P<v>gsk_[A-Za-z0-9]{48})" + _R), token_ok(3.5), token=True),
    Detector("xAI API key", ("xai-",), _c(_L + r"(?P<v>xai-[A-Za-z0-9]{70,90})" + _R), token_ok(3.5), token=True),
    Detector(
        "Perplexity API key", ("pplx-",), _c(_L + r"(?P<v>pplx-[A-Za-z0-9]{40,56})" + _R), token_ok(3.5), token=True
    ),
    Detector(
        "NVIDIA API key", ("nvapi-",), _c(_L + r"(?P<v>nvapi-[A-Za-z0-9_\-]{60,70})" + _R), token_ok(3.5), token=True
    ),
    Detector(
        "Tavily API key",
        ("tvly-",),
        _c(_L + r"(?P<v>tvly-(?:dev-|prod-)?[A-Za-z0-9]{28,40})" + _R),
        token_ok(3.5),
        token=True,
    ),
    Detector(
        "LangSmith API key",
        ("lsv2_",),
        _c(_L + r"(?P<v>lsv2_(?:pt|sk)_[0-9a-f]{32}_[0-9a-f]{10})" + _R),
        token_ok(3.0),
        token=True,
    ),
    Detector(
        "Pinecone API key",
        ("pcsk_",),
        _c(_L + r"(?P<v>pcsk_[A-Za-z0-9]{4,12}_[A-Za-z0-9]{40,80})" + _R),
        token_ok(3.5),
        token=True,
    ),
    Detector(
        "Weights & Biases API key",
        ("wandb",),
        _c(
            r"(?i:wandb)[A-Za-z_. ]{0,12}(?i:login|key)[^\n]{0,40}?"
            + r"(?<![A-Za-z0-9])(?P<v>[0-9a-f]{40})(?![A-Za-z0-9])"
        ),
        token_ok(3.0),
        lower=True,
    ),
    Detector(
        "Kaggle API key",
        ('"username"',),
        _c(r""""username"\s*:\s*"[^"\n]{1,64}"\s*,\s*"key"\s*:\s*"(?P<v>[0-9a-f]{32})\""""),
        token_ok(3.0),
    ),
    # --- messaging, payments, email --------------------------------------------------
    Detector(
        "Slack token",
        ("xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-", "xoxe-"),
        _c(_L + r"(?P<v>xox[baprse]-[0-9A-Za-z\-]{16,250})" + _R),
        lambda v, t: ACCEPT if any(ch.isdigit() for ch in v) and random_enough(v, 3.0) else None,
        token=True,
    ),
    Detector(
        "Slack webhook URL",
        ("hooks.slack.com",),
        _c(r"(?P<v>https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/+\-]{20,150})"),
        lambda v, t: ACCEPT if random_enough(v.rsplit("/", 1)[-1], 3.0) else None,
    ),
    Detector(
        "Discord webhook URL",
        ("discord",),
        _c(r"(?P<v>https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d{5,30}/[A-Za-z0-9_\-]{50,100})"),
        lambda v, t: ACCEPT if random_enough(v.rsplit("/", 1)[-1], 3.5) else None,
    ),
    Detector(
        "Telegram bot token",
        (":AA",),
        _c(r"(?<![0-9A-Za-z])(?P<v>\d{8,10}:AA[0-9A-Za-z_\-]{33})" + _R),
        token_ok(3.5),
    ),
    Detector(
        "Stripe secret key",
        ("sk_live_", "rk_live_"),
        _c(_L + r"(?P<v>[sr]k_live_[0-9A-Za-z]{16,247})" + _R),
        token_ok(3.0),
        token=True,
    ),
    Detector(
        "Stripe test key",
        ("sk_test_", "rk_test_"),
        _c(_L + r"(?P<v>[sr]k_test_[0-9A-Za-z]{16,247})" + _R),
        token_ok(3.0),
        severity=Severity.MEDIUM,
        token=True,
    ),
    Detector(
        "Stripe webhook secret",
        ("whsec_",),
        _c(_L + r"(?P<v>whsec_[A-Za-z0-9]{32,100})" + _R),
        token_ok(3.5),
        token=True,
    ),
    Detector(
        "Twilio API key",
        ("twilio",),
        _c(r"(?<![A-Za-z0-9])(?P<v>SK[0-9a-fA-F]{32})(?![A-Za-z0-9])"),
        token_ok(3.0),
        lower=True,
    ),
    Detector(
        "SendGrid API key",
        ("SG.",),
        _c(_L + r"(?P<v>SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43})" + _R),
        token_ok(3.5),
    ),
    # --- more vendors: ops, SaaS, AI tooling (one line each; samples in tests/unit/test_secrets.py) ----
    Detector("ElevenLabs API key", ("sk_",), _c(_L + r"(?P<v>sk_[a-f0-9]{48})" + _R), token_ok(3.0), token=True),
    Detector(
        "Shopify access token",
        ("shpat_", "shpca_", "shppa_", "shpss_"),
        _c(_L + r"(?P<v>shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32})" + _R),
        token_ok(3.0),
        token=True,
    ),
    Detector(
        "Square access token",
        ("sq0atp-", "sq0csp-"),
        _c(_L + r"(?P<v>sq0(?:atp-[0-9A-Za-z_\-]{22}|csp-[0-9A-Za-z_\-]{43}))" + _R),
        token_ok(3.5),
        token=True,
    ),
    Detector(
        "DigitalOcean token",
        ("dop_v1_", "doo_v1_", "dor_v1_"),
        _c(_L + r"(?P<v>do[opr]_v1_[a-f0-9]{64})" + _R),
        token_ok(3.0),
        token=True,
    ),
    Detector(
        "Linear API key", ("lin_api_",), _c(_L + r"(?P<v>lin_api_[A-Za-z0-9]{40})" + _R), token_ok(3.5), token=True
    ),
    Detector(
        "Notion integration token",
        ("ntn_", "secret_"),
        _c(_L + r"(?P<v>ntn_[0-9]{11}[A-Za-z0-9]{35}|secret_[A-Za-z0-9]{43})" + _R),
        token_ok(3.5),
        token=True,
    ),
    Detector(
        "Grafana token",
        ("glc_", "glsa_"),
        _c(_L + r"(?P<v>glc_[A-Za-z0-9+/]{32,400}={0,2}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})" + _R),
        token_ok(3.5),
        token=True,
    ),
    Detector("New Relic API key", ("NRAK-",), _c(_L + r"(?P<v>NRAK-[A-Z0-9]{27})" + _R), token_ok(3.0), token=True),
    Detector(
        "Sentry token",
        ("sntrys_", "sntryu_"),
        _c(_L + r"(?P<v>sntrys_[A-Za-z0-9+/=_\-]{60,400}|sntryu_[a-f0-9]{64})" + _R),
        token_ok(3.5),
        token=True,
    ),
    Detector(
        "HashiCorp Vault token", ("hvs.", "hvb."), _c(_L + r"(?P<v>hv[sb]\.[A-Za-z0-9_\-]{90,200})" + _R), token_ok(3.5)
    ),
    Detector(
        "Postman API key", ("PMAK-",), _c(_L + r"(?P<v>PMAK-[a-f0-9]{24}-[a-f0-9]{34})" + _R), token_ok(3.0), token=True
    ),
    Detector(
        "Supabase key",
        ("sbp_", "sb_secret_"),
        _c(_L + r"(?P<v>sbp_[a-f0-9]{40}|sb_secret_[A-Za-z0-9_\-]{30,64})" + _R),
        token_ok(3.0),
        token=True,
    ),
    Detector(
        "PlanetScale token",
        ("pscale_tkn_", "pscale_pw_", "pscale_oauth_"),
        _c(_L + r"(?P<v>pscale_(?:tkn|pw|oauth)_[A-Za-z0-9_\-.=]{32,64})" + _R),
        token_ok(3.5),
        token=True,
    ),
    Detector(
        "Doppler token",
        ("dp.",),
        _c(_L + r"(?P<v>dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,44})" + _R),
        token_ok(3.5),
    ),
    Detector(
        "age secret key",
        ("AGE-SECRET-KEY-1",),
        _c(_L + r"(?P<v>AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})" + _R),
        token_ok(3.0),
        token=True,
    ),
    Detector("Artifactory API key", ("AKCp",), _c(_L + r"(?P<v>AKCp[A-Za-z0-9]{69})" + _R), token_ok(3.5)),
    Detector(
        "RubyGems API key", ("rubygems_",), _c(_L + r"(?P<v>rubygems_[a-f0-9]{48})" + _R), token_ok(3.0), token=True
    ),
    Detector("Atlassian API token", ("ATATT3",), _c(_L + r"(?P<v>ATATT3[A-Za-z0-9_\-=]{150,250})" + _R), token_ok(3.5)),
    Detector("Prefect API key", ("pnu_",), _c(_L + r"(?P<v>pnu_[A-Za-z0-9]{36})" + _R), token_ok(3.5), token=True),
    Detector("Pulumi access token", ("pul-",), _c(_L + r"(?P<v>pul-[a-f0-9]{40})" + _R), token_ok(3.0), token=True),
    Detector("Firecrawl API key", ("fc-",), _c(_L + r"(?P<v>fc-[a-f0-9]{32})" + _R), token_ok(3.0), token=True),
    Detector("E2B API key", ("e2b_",), _c(_L + r"(?P<v>e2b_[a-f0-9]{40})" + _R), token_ok(3.0), token=True),
    Detector("Databricks OAuth secret", ("dose",), _c(_L + r"(?P<v>dose[a-f0-9]{32})" + _R), hex_token(3.0)),
    Detector(
        "Mailgun API key",
        ("mail",),
        _c(r"(?<![A-Za-z0-9_\-])(?P<v>key-[0-9a-f]{32})(?![A-Za-z0-9])"),
        hex_token(3.0),
        lower=True,
        requires=("mailgun",),
    ),
    Detector(
        "Mailchimp API key",
        ("mail",),
        _c(r"(?<![A-Za-z0-9])(?P<v>[0-9a-f]{32}-us[0-9]{1,2})(?![A-Za-z0-9])"),
        hex_token(3.0),
        lower=True,
        requires=("mailchimp",),
    ),
    Detector(
        "Discord bot token",
        ("discord",),
        _c(
            r"(?<![A-Za-z0-9_\-.])(?P<v>[MNO][A-Za-z0-9_\-]{23,25}\.[A-Za-z0-9_\-]{6}\.[A-Za-z0-9_\-]{27,38})(?![A-Za-z0-9_\-.])"
        ),
        token_ok(3.5),
    ),
    Detector(
        "Microsoft Teams webhook URL",
        ("://",),  # rare URLs: gated on the "://" search every URL detector shares, not a keyword each
        _c(
            r"(?P<v>https://[A-Za-z0-9\-]{1,64}\.webhook\.office\.com/webhookb2/[A-Za-z0-9@\-]{30,120}"
            r"/IncomingWebhook/[A-Za-z0-9]{20,64}/[A-Za-z0-9\-]{30,40}(?:/[A-Za-z0-9_\-]{20,80})?)"
        ),
        lambda v, t: ACCEPT if random_enough(v.split("/IncomingWebhook/", 1)[1][:32], 3.0) else None,
    ),
    Detector(
        "Zapier webhook URL",
        ("://",),
        _c(r"(?P<v>https://hooks\.zapier\.com/hooks/catch/\d{3,12}/[A-Za-z0-9]{5,12})"),
        lambda v, t: ACCEPT if random_enough(v.rsplit("/", 1)[-1], 2.0, 1) else None,
    ),
    Detector(
        "Google Chat webhook URL",
        ("://",),
        _c(
            r"(?P<v>https://chat\.googleapis\.com/v1/spaces/[A-Za-z0-9_\-]{5,30}/messages\?key=[A-Za-z0-9_\-]{20,60}"
            r"&token=[A-Za-z0-9_\-%=]{20,100})"
        ),
        lambda v, t: ACCEPT if random_enough(v.rsplit("token=", 1)[-1], 3.0) else None,
    ),
    Detector(
        "Slack app token",
        ("xapp-",),
        _c(_L + r"(?P<v>xapp-\d-[A-Z0-9]{9,12}-\d{10,14}-[a-f0-9]{40,80})" + _R),
        token_ok(3.0),
        token=True,
    ),
    # --- tokens in transit ---------------------------------------------------------
    Detector(
        "JSON Web Token",
        ("eyJ",),
        _c(_L + r"(?P<v>eyJ[A-Za-z0-9_\-]{10,4000}\.eyJ[A-Za-z0-9_\-]{2,16000}\.[A-Za-z0-9_\-]{16,1000})" + _R),
        jwt,
    ),
    Detector(
        "HTTP basic credentials",
        ("authorization",),
        _c(
            r"(?i:authorization)[\\\"']{0,2}\s{0,3}[:=,]\s{0,3}[\\\"']{0,2}(?i:basic)\s+(?P<v>[A-Za-z0-9+/]{8,400}={0,2})"
        ),
        basic_auth,
        lower=True,
    ),
    Detector(
        "bearer token",
        ("bearer",),
        _c(r"(?i:bearer)\s{1,3}(?P<v>[A-Za-z0-9_\-.~+/]{20,2000}={0,2})(?![A-Za-z0-9_\-.~+/=])"),
        bearer,
        confidence=Confidence.MEDIUM,
        lower=True,
    ),
    Detector(
        "password in URL",
        ("://",),
        _c(
            # The password may hold reserved characters people forget to encode ("p@ss#1"): it runs
            # to the last "@" before the host, within one token.
            r"://(?P<user>[^\s:/?#@'\"<>\[\]{}\\]{1,128}):(?P<v>[^\s/'\"<>\[\]{}\\]{1,256})"
            r"@(?P<host>[A-Za-z0-9._\-]{1,253}|\[[0-9A-Fa-f:]{2,45}\])"
        ),
        url_password,
    ),
    # --- passwords by syntax: command lines, .netrc, cookies --------------------------
    Detector(
        CLI_KIND,
        ("curl",),
        _c(
            r"(?i:curl)\b[^\n]{0,300}?\s(?:-u|--user)(?:[ \t]{1,3}|=)?[\"']?"
            r"(?P<user>[^\s:'\"@$]{1,64}):(?P<v>[^\s'\"]{1,128})"
        ),
        cli_password,
        lower=True,
    ),
    Detector(
        CLI_KIND,
        (" -p",),  # the three -p command lines share one substring test
        _c(r"(?i:mysql\w{0,6}|mariadb\w{0,6})\b[^\n]{0,300}?\s-p(?P<q>[\"']?)(?P<v>[^\s'\"\-][^\s'\"]{0,127})(?P=q)"),
        cli_password,
        lower=True,
    ),
    Detector(
        CLI_KIND,
        (" -p",),
        _c(
            r"(?i:sshpass|(?:docker|podman|nerdctl|buildah|skopeo|oras|helm[ \t]+registry)[ \t]+login)\b[^\n]{0,300}?"
            r"\s(?:-p|--password)(?:[ \t]{1,3}|=)(?P<q>[\"']?)(?P<v>[^\s'\"][^\s'\"]{0,127})(?P=q)"
        ),
        cli_password,
        lower=True,
    ),
    Detector(
        NETRC_KIND,
        ("password",),  # holds "pass": skipped at no cost in texts without it
        _c(
            r"(?:machine[ \t]+[^\s]{1,253}|default)(?:\s{1,20}(?:login|account|port|protocol)[ \t]+[^\s]{1,256}){0,4}"
            r"\s{1,20}password[ \t]+(?P<v>[^\s]{1,256})"
        ),
        cli_password,
        lower=True,
    ),
    Detector(
        "session cookie",
        ("cookie",),
        _c(
            r"(?i:(?<![A-Za-z0-9])(?:session(?:[_.\-]?(?:id|token|key))?|sess(?:[_.\-]?id)?|phpsessid|jsessionid"
            r"|asp\.net_sessionid|connect\.sid|remember_(?:token|me)|__(?:secure|host)-[A-Za-z0-9_\-]{1,30}))"
            r"[\"']?[ \t]{0,3}[=:][ \t]{0,3}[\"']?(?P<v>[A-Za-z0-9%._\-+/]{16,1024}={0,2})"
        ),
        session_value,
        confidence=Confidence.MEDIUM,
        lower=True,
    ),
)

# Detectors whose verdict also depends on other groups of the match.
_MATCH_CHECKS: dict[str, Callable[[re.Match[str], str], Verdict | None]] = {
    "password in URL": url_password_match,
}
