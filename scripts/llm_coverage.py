"""The README's two LLM coverage tables, generated from nbsec's own registries (`python scripts/llm_coverage.py`).

`python scripts/llm_coverage.py --write` puts them into README.md between its markers.

1. garak's probe modules (garak's plugin families, as of the reference study of garak in docs/llm.md) and the
   nbsec probes that cover each (each probe's `garak` attribute), or why nbsec leaves it out.
2. OWASP Top 10 for LLM Applications 2025: every nbsec rule that cites each risk (the rule catalogue).

tests/unit/test_llm_coverage.py checks the README holds exactly this output between its markers, so the
tables cannot drift from the code.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# garak probe modules that bear on application security, what they do, and, for those nbsec does not
# cover, why. Names and descriptions are facts from garak's source tree (Apache-2.0), not its text.
GARAK_MODULES: dict[str, tuple[str, str]] = {
    "promptinject": ("goal hijacking and prompt leaking (rogue strings)", ""),
    "latentinjection": ("indirect injection in documents, reports, resumes, translations", ""),
    "dan": ("DAN / developer-mode jailbreak templates", ""),
    "grandma": ("role-play pretexts", ""),
    "encoding": ("instructions encoded (base64, hex, rot13, ...)", ""),
    "goodside": ("Unicode tag-character smuggling", ""),
    "smuggling": ("hidden or split payloads", ""),
    "sysprompt_extraction": ("system-prompt extraction (n-gram containment)", ""),
    "web_injection": ("markdown-image / link exfiltration, XSS in output", ""),
    "exploitation": ("template / SQL injection echoed into output", ""),
    "apikey": ("asks the model for API keys", ""),
    "propile": ("personal-data leakage", ""),
    "leakreplay": ("training-data memorisation (cloze)", "needs book/news corpora; a model property, not an app's"),
    "divergence": ("training-data divergence (repeat a word)", "a base-model property; not an app control"),
    "packagehallucination": ("hallucinated package names", "needs registry snapshots from a hub (not offline)"),
    "malwaregen": ("asks for malware", "content-safety; nbsec tests security controls, not harmful content"),
    "realtoxicityprompts": ("toxicity", "content-safety (needs a classifier model)"),
    "lmrc": ("language-model risk cards", "content-safety"),
    "suffix": ("GCG adversarial suffixes", "model-level optimisation attack (needs gradients or a cached set)"),
    "tap": ("tree-of-attacks with an attacker LLM", "needs an attacker LLM at run time"),
    "atkgen": ("attack generation with a red-team model", "needs an attacker model at run time"),
    "visual_jailbreak": ("jailbreak in images", "multimodal (text only today)"),
    "audio": ("audio inputs", "multimodal (text only today)"),
}


def garak_table() -> str:
    from nbsec.llm.probes import all_probes

    covered: dict[str, list[str]] = {}
    for probe in all_probes():
        for module in probe.garak:
            covered.setdefault(module, []).append(probe.id)
    lines = ["| garak probe module | what it tries | nbsec probe(s) |", "|---|---|---|"]
    for module, (what, why_not) in GARAK_MODULES.items():
        probes = covered.get(module)
        cell = ", ".join(f"`{p}`" for p in probes) if probes else f"not covered: {why_not or 'no probe yet'}"
        lines.append(f"| `{module}` | {what} | {cell} |")
    count = sum(1 for module in GARAK_MODULES if covered.get(module))
    lines.append(f"\n{count} of the {len(GARAK_MODULES)} garak modules listed are covered.")
    return "\n".join(lines)


def owasp_table() -> str:
    from nbsec.rule_catalogue import load_catalogue

    items = json.loads((ROOT / "nbsec" / "data" / "frameworks" / "owasp-llm-2025.json").read_text())["items"]
    citing: dict[str, list[str]] = {}
    for rule in load_catalogue().rules:
        for ref in rule.references:
            if ref.framework == "OWASP LLM Top 10":
                citing.setdefault(ref.id, []).append(rule.id)
    lines = [
        "| OWASP LLM Top 10 (2025) | measured on the app (`nbsec llm`: probes, audit, monitor) "
        "| other nbsec checks (code, model files, dependencies) | threat-model rules (design review) |",
        "|---|---|---|---|",
    ]
    for item in items:
        rules = citing.get(item["id"], [])
        measured = ", ".join(r for r in rules if r.startswith("NBSEC-LLM-")) or "-"
        other = ", ".join(r for r in rules if not r.startswith(("NBSEC-LLM-", "NBSEC-TM-"))) or "-"
        design = sum(r.startswith("NBSEC-TM-") for r in rules)
        lines.append(f"| {item['id']} {item['title']} | {measured} | {other} | {design or '-'} |")
    return "\n".join(lines)


def tables() -> str:
    return garak_table() + "\n\n" + owasp_table() + "\n"


START, END = "<!-- llm-coverage:start -->", "<!-- llm-coverage:end -->"


def readme_block(readme: str) -> str:
    """What the README holds between its coverage markers."""
    start, end = readme.index(START) + len(START), readme.index(END)
    return readme[start:end].strip("\n") + "\n"


def write_readme(path: Path = ROOT / "README.md") -> None:
    text = path.read_text(encoding="utf-8")
    start, end = text.index(START) + len(START), text.index(END)
    path.write_text(text[:start] + "\n" + tables() + text[end:], encoding="utf-8")


if __name__ == "__main__":
    if "--write" in sys.argv[1:]:
        write_readme()
        print("README.md: coverage tables updated")
    else:
        print(tables(), end="")
