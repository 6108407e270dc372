"""The probe families: each module's PROBES, in one registry; `select` picks by probe id or family name.

prompt-injection          goal hijack by user text (OWASP LLM01:2025, ATLAS AML.T0051.000)
system-prompt-extraction  instructions disclosed (LLM07:2025, AML.T0056)
indirect-injection        instructions in documents and tool results followed (LLM01:2025, AML.T0051.001)
jailbreak                 persona / framing templates (LLM01:2025, AML.T0054)
encoding                  encoded injections; instructions extracted encoded (AML.T0068)
sensitive-data            credentials and personal data disclosed (LLM02:2025, AML.T0057)
output-exfiltration       markdown image / link to an attacker's host (LLM05:2025, AML.T0077)
output-script             script / HTML passed to the output (LLM05:2025, CWE-79)
excessive-agency          tool calls induced by injected text (LLM06:2025, AML.T0053)
rag-access                another role's documents (LLM08:2025, AML.T0085)
"""

from __future__ import annotations

from collections.abc import Sequence

from nbsec.errors import UsageError
from nbsec.llm.probes.base import Attempt, Probe

__all__ = ["FAMILIES", "Attempt", "Probe", "all_probes", "select"]

FAMILIES = (
    "prompt-injection",
    "system-prompt-extraction",
    "indirect-injection",
    "jailbreak",
    "encoding",
    "sensitive-data",
    "output-exfiltration",
    "output-script",
    "excessive-agency",
    "rag-access",
)


def all_probes() -> list[Probe]:
    """Every probe, in family order."""
    from nbsec.llm.probes import (
        agency,
        encoding,
        exfiltration,
        indirect,
        jailbreak,
        prompt_injection,
        rag,
        script,
        sensitive,
        system_prompt,
    )

    modules = (
        prompt_injection,
        system_prompt,
        indirect,
        jailbreak,
        encoding,
        sensitive,
        exfiltration,
        script,
        agency,
        rag,
    )
    return [probe for module in modules for probe in module.PROBES]


def select(names: Sequence[str] | None) -> list[Probe]:
    """The probes named by id ("encoding.injection") or family ("encoding"); None or empty: all of them."""
    probes = all_probes()
    if not names:
        return probes
    chosen: list[Probe] = []
    for raw in names:
        name = raw.strip()
        matched = [p for p in probes if name in (p.id, p.family)]
        if not matched:
            raise UsageError(
                f"unknown probe {name!r}",
                f"choose probe families ({', '.join(FAMILIES)}) or probe ids ({', '.join(p.id for p in probes)})",
            )
        chosen.extend(p for p in matched if p not in chosen)
    return chosen
