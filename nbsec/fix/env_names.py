"""The name of the environment variable a credential moves to: what a careful person would call it.

A module of its own because the name is the part of the credentials fix a user keeps (their code reads
it, `.env.example` lists it, their shell sets it), so how it is chosen is decided here, in one place:

* from where the literal sits (the credentials fixer finds that on the syntax tree): the variable,
  attribute or subscript key it is assigned to, the keyword it is passed as, the dict key it is stored
  under, the parameter it defaults: `openai_api_key` / `openaiApiKey` / `self.api-key` -> OPENAI_API_KEY;
* a name that is the tail of the provider's documented variable (`api_key` for an OpenAI key, `token`
  for a Hugging Face token) becomes that variable (OPENAI_API_KEY, HF_TOKEN), so the client libraries
  find it on their own; without a name, the documented variable of the detected kind; else
  NBSEC_SECRET_<n>;
* a password inside a URL is named after the variable (DATABASE_URL -> DATABASE_PASSWORD; DB_PASSWORD
  for an unnamed database URL); a bearer token's name ends in _TOKEN;
* two different values never share a name (the second gets _2), and one value keeps one name (`Names`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# The variable each provider's client library reads (its documentation), by detector kind.
DOCUMENTED: dict[str, str] = {
    "AWS access key id": "AWS_ACCESS_KEY_ID",
    "AWS secret access key": "AWS_SECRET_ACCESS_KEY",
    "Azure storage account key": "AZURE_STORAGE_KEY",
    "Google API key": "GOOGLE_API_KEY",
    "Google OAuth client secret": "GOOGLE_CLIENT_SECRET",
    "Databricks personal access token": "DATABRICKS_TOKEN",
    "GitHub token": "GITHUB_TOKEN",
    "GitHub fine-grained token": "GITHUB_TOKEN",
    "GitLab token": "GITLAB_TOKEN",
    "npm access token": "NPM_TOKEN",
    "PyPI API token": "PYPI_API_TOKEN",
    "Docker Hub access token": "DOCKERHUB_TOKEN",
    "Anthropic API key": "ANTHROPIC_API_KEY",
    "OpenRouter API key": "OPENROUTER_API_KEY",
    "OpenAI API key": "OPENAI_API_KEY",
    "Hugging Face token": "HF_TOKEN",
    "Cohere API key": "CO_API_KEY",
    "Replicate API token": "REPLICATE_API_TOKEN",
    "Groq API key": "GROQ_API_KEY",
    "xAI API key": "XAI_API_KEY",
    "Perplexity API key": "PERPLEXITY_API_KEY",
    "NVIDIA API key": "NVIDIA_API_KEY",
    "Tavily API key": "TAVILY_API_KEY",
    "LangSmith API key": "LANGSMITH_API_KEY",
    "Pinecone API key": "PINECONE_API_KEY",
    "Weights & Biases API key": "WANDB_API_KEY",
    "Kaggle API key": "KAGGLE_KEY",
    "Slack token": "SLACK_TOKEN",
    "Slack webhook URL": "SLACK_WEBHOOK_URL",
    "Discord webhook URL": "DISCORD_WEBHOOK_URL",
    "Telegram bot token": "TELEGRAM_BOT_TOKEN",
    "Stripe secret key": "STRIPE_SECRET_KEY",
    "Stripe test key": "STRIPE_SECRET_KEY",
    "Stripe webhook secret": "STRIPE_WEBHOOK_SECRET",
    "Twilio API key": "TWILIO_API_KEY",
    "SendGrid API key": "SENDGRID_API_KEY",
}
DB_SCHEMES = ("postgres", "mysql", "mariadb", "mongodb", "redis", "rediss", "mssql", "oracle", "snowflake", "amqp",
              "clickhouse", "cockroachdb", "sqlserver", "db2", "neo4j")  # fmt: skip
URL_SUFFIXES = ("_CONNECTION_STRING", "_CONN_STRING", "_CONNECTION", "_CONN", "_URL", "_URI", "_DSN", "_STRING")
_WORDS = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def is_env_name(name: str) -> bool:
    """Whether `name` can be an environment variable's name in a shell and in `.env` files."""
    return _ENV_NAME.match(name) is not None


def env_name(raw: str) -> str | None:
    """'openai_api_key' / 'openaiApiKey' / 'self.api-key' -> 'OPENAI_API_KEY' (None when nothing usable)."""
    words = [w.upper() for w in _WORDS.split(raw.rsplit(".", 1)[-1]) if w]
    name = "_".join(words).lstrip("0123456789_")
    return name if name and is_env_name(name) else None


def refine(name: str | None, kind: str) -> str | None:
    """The provider's documented variable, unless the author's own name says "secret" and is not just its tail.

    `api_key` (OpenAI key) -> OPENAI_API_KEY, `hf` -> HF_TOKEN, `b` -> the documented name; `my_openai_key` stays.
    """
    from nbsec.scanners.notebook.secrets import secret_name_kind

    documented = DOCUMENTED.get(kind)
    if documented is None or (name is not None and name == documented):
        return name
    if name is None or documented.endswith("_" + name) or documented.startswith(name + "_"):
        return documented
    return name if secret_name_kind(name) is not None else documented


def partial_name(context: str | None, kind: str, literal: str) -> str | None:
    """The variable for a secret that is part of a literal: a URL's password, a token after 'Bearer '.

    `context` is the name the literal is stored under (env-style), `kind` the detector's, `literal` its text.
    """
    if kind == "password in URL":
        stem = context
        for suffix in URL_SUFFIXES:
            if stem and stem.endswith(suffix) and len(stem) > len(suffix):
                stem = stem[: -len(suffix)]
                break
        if not stem:
            scheme = literal.split("://", 1)[0].lower().split("+")[0]
            stem = "DB" if scheme.startswith(DB_SCHEMES) else "URL"
        return stem + "_PASSWORD"
    documented = DOCUMENTED.get(kind)
    if documented is not None:
        return documented
    if context is None:
        return "BEARER_TOKEN" if kind == "bearer token" else None
    if kind == "bearer token" and not context.endswith("TOKEN"):
        return context + "_TOKEN"
    return context


@dataclass
class Names:
    """One name per value in a file; a name another value already holds gets a suffix (_2, _3...)."""

    by_value: dict[str, str] = field(default_factory=dict)
    taken: dict[str, str] = field(default_factory=dict)  # name -> value

    def claim(self, name: str | None, value: str) -> str:
        if value in self.by_value:
            return self.by_value[value]
        if name is None:
            number = 1
            while f"NBSEC_SECRET_{number}" in self.taken:
                number += 1
            name = f"NBSEC_SECRET_{number}"
        base, number = name, 1
        while name in self.taken and self.taken[name] != value:
            number += 1
            name = f"{base}_{number}"
        self.by_value[value] = name
        self.taken[name] = value
        return name
