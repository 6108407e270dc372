"""What code fetches and unpacks: hub downloads without a pinned revision, archives, urlopen.

Bandit parity for ML work (B615 huggingface_unsafe_download, B202 tarfile_unsafe_members,
B310 urllib_urlopen), with what the notebook analysis knows on top: names bound to literals,
local folders (Path(...), os.path.join(...), a folder the notebook saved a model to) and the
member names of an archive the code iterates.
"""

from __future__ import annotations

import ast
import string
from collections.abc import Iterator

from nbsec.model import Confidence, Rule, Severity, reference
from nbsec.scanners.notebook.rule_base import (
    CATEGORY,
    NOT_CONSTANT,
    SCANNER,
    CallCheck,
    Hit,
    Scope,
    argument,
    keyword,
)

CWE_494 = reference("CWE", "CWE-494")
ATLAS_SUPPLY_CHAIN_MODEL = reference("MITRE ATLAS", "AML.T0010.003")
OWASP_ML06 = reference("OWASP ML Top 10", "ML06:2023")
OWASP_LLM03 = reference("OWASP LLM Top 10", "LLM03:2025")
PINNED = "5d0f2e8a7f1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d"  # a commit hash shape, for the samples

HUB_DOWNLOAD = Rule(
    id="NBSEC-NB-012",
    title="Model or dataset downloaded from a hub without a pinned revision",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    category=CATEGORY,
    scanner=SCANNER,
    description=(
        "from_pretrained, hf_hub_download, snapshot_download, load_dataset, SentenceTransformer and "
        "torch.hub.load fetch whatever the repository's branch (or a tag, which can be moved) holds when the "
        "code runs. Whoever can push to that repository (a stolen token, a re-registered organisation name) "
        "swaps the weights, tokenizer or data you load, and for torch.hub the hubconf.py code you run."
    ),
    remediation=(
        "Pin revision= to the full commit hash you reviewed (for torch.hub: 'owner/repo:<commit>'), or download "
        "once, verify the files (`nbsec manifest create` / `verify`) and load them from a local folder "
        "(local_files_only=True)."
    ),
    references=(CWE_494, ATLAS_SUPPLY_CHAIN_MODEL, OWASP_ML06, OWASP_LLM03),
    sample_trigger="from transformers import AutoModel\nmodel = AutoModel.from_pretrained('org/model')\n",
    sample_clean=(
        f"from transformers import AutoModel\nmodel = AutoModel.from_pretrained('org/model', revision='{PINNED}')\n"
    ),
)

ARCHIVE_EXTRACT = Rule(
    id="NBSEC-NB-013",
    title="Archive extracted without a safe filter (path traversal)",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    category=CATEGORY,
    scanner=SCANNER,
    description=(
        "tarfile's extract/extractall (and shutil.unpack_archive of a tar) without filter='data' write members "
        "named '../../.bashrc' or '/etc/...', and links pointing anywhere, where the names say: a downloaded "
        "dataset or model archive then overwrites files outside the target folder (Python before 3.14 has no "
        "safe default). Writing a zip or tar member to a path built from its name does the same by hand."
    ),
    remediation=(
        "Pass filter='data' (Python >= 3.12, and 3.8.17+, 3.9.17+, 3.10.12+, 3.11.4+); for shutil.unpack_archive "
        "pass filter='data' too. When writing members yourself, resolve the target path and refuse any that is "
        "not inside the destination folder, or use zipfile's extract/extractall, which sanitises names."
    ),
    references=(reference("CWE", "CWE-22"), ATLAS_SUPPLY_CHAIN_MODEL, OWASP_ML06),
    sample_trigger="import tarfile\nwith tarfile.open('data.tar.gz') as tar:\n    tar.extractall('data')\n",
    sample_clean=(
        "import tarfile\nwith tarfile.open('data.tar.gz') as tar:\n    tar.extractall('data', filter='data')\n"
    ),
)

URL_OPEN = Rule(
    id="NBSEC-NB-014",
    title="urlopen/urlretrieve of a URL that may not be http(s)",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    category=CATEGORY,
    scanner=SCANNER,
    description=(
        "urllib's urlopen and urlretrieve (and the legacy URLopener classes) open file:, ftp: and data: URLs as "
        "readily as https:. A URL taken from data, a user or a model's output can read local files (credentials, "
        "SSH keys) or reach internal services."
    ),
    remediation=(
        "Check the scheme before opening (urllib.parse.urlparse(url).scheme in ('https',)), or use requests/httpx, "
        "which only speak http(s). Replace URLopener/FancyURLopener with urllib.request.urlopen."
    ),
    references=(reference("CWE", "CWE-73"), reference("CWE", "CWE-918")),
    sample_trigger="import urllib.request\nurl = input()\nurllib.request.urlretrieve(url, 'weights.bin')\n",
    sample_clean=(
        "import urllib.request\nurllib.request.urlretrieve('https://example.org/weights.bin', 'weights.bin')\n"
    ),
)

RULES = (HUB_DOWNLOAD, ARCHIVE_EXTRACT, URL_OPEN)

# Constructors whose instances the analysis follows by name (`tar = tarfile.open(p)`; `tar.extractall()`
# resolves to `tarfile.open().extractall`).
TAR_OPENERS = frozenset(
    {"tarfile.open", "tarfile.TarFile", "tarfile.TarFile.open"}
    | {f"tarfile.TarFile.{k}open" for k in ("tar", "gz", "bz2", "xz", "zst")}
)
URL_REQUESTS = frozenset(f"{m}.Request" for m in ("urllib.request", "six.moves.urllib.request", "urllib2"))
FACTORIES = TAR_OPENERS | URL_REQUESTS | {"zipfile.ZipFile"}


# -- hub downloads -------------------------------------------------------------------------------

# Libraries whose from_pretrained reads the Hugging Face Hub: a hit on them is certain.
_HF_LIBRARIES = frozenset(
    {"transformers", "diffusers", "peft", "sentence_transformers", "optimum", "huggingface_hub", "datasets",
     "timm", "open_clip", "setfit", "trl", "accelerate", "adapters"}
)  # fmt: skip
_FLOATING = frozenset({"main", "master", "head"})
# load_dataset builders that read local (or explicitly given) data files, not a hub repository's code.
_DATASET_BUILDERS = frozenset(
    {"csv", "json", "parquet", "text", "arrow", "pandas", "imagefolder", "audiofolder", "videofolder",
     "webdataset", "sql", "generator", "xml", "hdf5", "spark"}
)  # fmt: skip
_SENTENCE_MODELS = frozenset(f"sentence_transformers.{c}" for c in ("SentenceTransformer", "CrossEncoder"))
_MAX_SHOWN = 60


def _is_commit(ref: str) -> bool:
    return 7 <= len(ref) <= 64 and all(c in string.hexdigits for c in ref)


def _shown(text: str) -> str:
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def _hub_source(name: str, last: str, call: ast.Call) -> tuple[ast.expr | None, bool] | None:
    """(the repository argument, certain) for a hub download call, None for any other call."""
    root = name.partition(".")[0]
    if last == "from_pretrained":
        if root == "peft" or "Peft" in name:  # PeftModel.from_pretrained(base_model, "org/adapter")
            return argument(call, 1, "model_id"), True
        return argument(call, 0, "pretrained_model_name_or_path", "model_name_or_path", "model_id"), (
            root in _HF_LIBRARIES
        )
    if last in ("hf_hub_download", "snapshot_download"):
        # modelscope and others ship a snapshot_download too: a download all the same, less certainly the Hub.
        return argument(call, 0, "repo_id", "model_id"), root == "huggingface_hub"
    if name in ("datasets.load_dataset", "datasets.load_dataset_builder"):
        return argument(call, 0, "path"), True
    if name in _SENTENCE_MODELS:
        source = argument(call, 0, "model_name_or_path", "model_name")
        return (source, True) if source is not None else None
    return None


def _revision(call: ast.Call, scope: Scope) -> tuple[str, str]:
    """('pinned' | 'floating' | 'tag' | 'unknown' | 'none', the text) of the revision the call asks for."""
    kw = keyword(call, "revision") or keyword(call, "commit_id")
    if kw is None or scope.value(kw.value) is None:
        return "none", ""
    known = scope.text(kw.value)
    if known is None or not known[1]:
        return "unknown", ""  # computed at run time: it cannot be checked here (bandit gives the same benefit)
    ref = known[0]
    if _is_commit(ref):
        return "pinned", ref
    return ("floating" if ref.lower() in _FLOATING else "tag"), ref


def _unpinned(call: ast.Call, what: str, state: str, ref: str, certain: bool) -> Hit:
    confidence = Confidence.HIGH if certain else Confidence.MEDIUM
    if state == "tag":
        return Hit(
            HUB_DOWNLOAD,
            call,
            f"{what} at '{_shown(ref)}', a tag or branch name that can be moved to other files",
            severity=Severity.LOW,
            confidence=confidence,
        )
    why = f"revision='{_shown(ref)}' follows the branch" if state == "floating" else "no revision= pinned"
    return Hit(HUB_DOWNLOAD, call, f"{what}: {why}, so the files can change under the same name", confidence=confidence)


def check_hub_download(name: str, call: ast.Call, scope: Scope) -> Iterator[Hit]:
    last = name.rpartition(".")[2]
    if name == "torch.hub.load":
        yield from _check_torch_hub(call, scope)
        return
    found = _hub_source(name, last, call)
    if found is None:
        return
    source, certain = found
    offline, remote_code = keyword(call, "local_files_only"), keyword(call, "trust_remote_code")
    if offline is not None and scope.value(offline.value) is True:
        return  # reads the local cache only
    if remote_code is not None and scope.value(remote_code.value) is True:
        return  # NBSEC-NB-004 reports this call, and pinning the revision is its remediation
    state, ref = _revision(call, scope)
    if state in ("pinned", "unknown"):
        return
    if source is None or scope.is_local_path(source):
        return
    known = scope.text(source)
    if known is None or not known[1]:
        yield Hit(
            HUB_DOWNLOAD,
            call,
            f"{last}() of a repository named at run time, without a pinned revision (a local folder is fine)",
            severity=Severity.LOW,
            confidence=Confidence.LOW,
        )
        return
    if last.startswith("load_dataset") and known[0] in _DATASET_BUILDERS:
        return  # load_dataset('csv', data_files=...): a packaged builder over the files given
    yield _unpinned(call, f"{last}('{_shown(known[0])}')", state, ref, certain)


def _check_torch_hub(call: ast.Call, scope: Scope) -> Iterator[Hit]:
    source = keyword(call, "source")
    if source is not None and scope.value(source.value) == "local":
        return
    repo = argument(call, 0, "repo_or_dir")
    if repo is None or scope.is_local_path(repo):
        return
    known = scope.text(repo)
    if known is None or not known[1]:
        yield Hit(
            HUB_DOWNLOAD,
            call,
            "torch.hub.load of a repository named at run time: it runs that repository's hubconf.py",
            severity=Severity.LOW,
            confidence=Confidence.LOW,
        )
        return
    owner_repo, _, ref = known[0].partition(":")
    if ref and _is_commit(ref):
        return
    state = "tag" if ref and ref.lower() not in _FLOATING else ("floating" if ref else "none")
    yield _unpinned(call, f"torch.hub.load('{_shown(owner_repo)}') runs its hubconf.py", state, ref, True)


# -- archives --------------------------------------------------------------------------------------

_SAFE_TAR_FILTERS = frozenset({"data", "tar", "tarfile.data_filter", "tarfile.tar_filter"})
_OPEN_CALLS = frozenset({"open", "builtins.open", "io.open", "codecs.open"})


def check_archive_extract(name: str, call: ast.Call, scope: Scope) -> Iterator[Hit]:
    last = name.rpartition(".")[2]
    if last in ("extract", "extractall") and name.startswith("tarfile."):
        yield from _tar_extract(last, call, scope)
    elif name == "shutil.unpack_archive":
        yield from _unpack_archive(call, scope)
    elif name in _OPEN_CALLS:
        target = argument(call, 0, "file", "filename")
        mode = scope.value(argument(call, 1, "mode"))
        writes = isinstance(mode, str) and any(c in mode for c in "wax")
        if writes and target is not None and scope.is_archive_member(target):
            yield Hit(
                ARCHIVE_EXTRACT,
                call,
                "writes a file at a path built from an archive member's name ('../' escapes the folder)",
                severity=Severity.HIGH,
                confidence=Confidence.MEDIUM,
            )


def _filter_state(call: ast.Call, scope: Scope) -> str:
    """'safe', 'unsafe' (fully_trusted), 'custom' (a callable of the author's) or 'none'."""
    kw = keyword(call, "filter")
    if kw is None:
        return "none"
    value = scope.value(kw.value)
    if value is NOT_CONSTANT:
        resolved = scope.resolve(kw.value) or ""
        if resolved in _SAFE_TAR_FILTERS:
            return "safe"
        return "unsafe" if resolved == "tarfile.fully_trusted_filter" else "custom"
    if value is None:
        return "none"
    return "safe" if value in _SAFE_TAR_FILTERS else "unsafe"


def _tar_extract(last: str, call: ast.Call, scope: Scope) -> Iterator[Hit]:
    state = _filter_state(call, scope)
    if state in ("safe", "custom"):
        return
    if state == "unsafe":
        yield Hit(ARCHIVE_EXTRACT, call, f"tarfile {last}() with filter='fully_trusted' turns the checks off")
        return
    members = keyword(call, "members")
    if members is not None and isinstance(members.value, ast.Call):
        yield Hit(
            ARCHIVE_EXTRACT,
            call,
            f"tarfile {last}(members=...) chosen by a function and no filter=: check it drops '../', absolute "
            "paths and links",
            severity=Severity.LOW,
            confidence=Confidence.LOW,
        )
    elif members is not None:
        yield Hit(
            ARCHIVE_EXTRACT,
            call,
            f"tarfile {last}(members=...) without filter=: the members given are not known to be checked",
            severity=Severity.MEDIUM,
            confidence=Confidence.MEDIUM,
        )
    else:
        yield Hit(ARCHIVE_EXTRACT, call, f"tarfile {last}() without filter='data' writes '../' and absolute paths")


def _unpack_archive(call: ast.Call, scope: Scope) -> Iterator[Hit]:
    if _filter_state(call, scope) in ("safe", "custom"):
        return
    archive = scope.text(argument(call, 0, "filename"))
    fmt = scope.value(argument(call, 2, "format"))
    if fmt == "zip" or (fmt is NOT_CONSTANT and archive is not None and archive[0].lower().endswith(".zip")):
        return  # shutil unpacks zips with zipfile, which sanitises member names
    certain = isinstance(fmt, str) and fmt != "zip"
    if archive is not None and archive[1] and archive[0].lower().endswith((".tar", ".tgz", ".gz", ".bz2", ".xz")):
        certain = True
    yield Hit(
        ARCHIVE_EXTRACT,
        call,
        "shutil.unpack_archive without filter='data': a tar archive's '../' and absolute paths are written as named",
        confidence=Confidence.HIGH if certain else Confidence.MEDIUM,
    )


# -- urlopen ---------------------------------------------------------------------------------------

_URL_OPENERS = frozenset(
    {f"{m}.{f}" for m in ("urllib.request", "six.moves.urllib.request") for f in ("urlopen", "urlretrieve")}
    | {"urllib.urlopen", "urllib.urlretrieve", "urllib2.urlopen"}
    | URL_REQUESTS
)
_LEGACY_OPENERS = frozenset(
    f"{m}.{c}"
    for m in ("urllib.request", "six.moves.urllib.request", "urllib")
    for c in ("URLopener", "FancyURLopener")
)


def check_urlopen(name: str, call: ast.Call, scope: Scope) -> Iterator[Hit]:
    if name in _LEGACY_OPENERS:
        yield Hit(URL_OPEN, call, f"{name.rpartition('.')[2]} opens file: and ftp: URLs as readily as https:")
        return
    if name not in _URL_OPENERS:
        return
    url = argument(call, 0, "url", "fullurl")
    if url is None:
        return
    if (scope.resolve(url) or "") in {f"{r}()" for r in URL_REQUESTS}:
        return  # a Request object: its URL was checked where the Request was built
    what = name.rpartition(".")[2]
    known = scope.text(url)
    if known is not None:
        text, exact = known
        scheme, colon, _ = text.partition(":")
        if colon and scheme.isascii() and scheme.replace("+", "").replace("-", "").replace(".", "").isalnum():
            if scheme.lower() in ("http", "https"):
                return
            yield Hit(URL_OPEN, call, f"{what}() of a {scheme.lower()}: URL", confidence=Confidence.HIGH)
            return
        if exact:
            return  # no scheme at all: urllib refuses it (ValueError), nothing is opened
    yield Hit(
        URL_OPEN,
        call,
        f"{what}() of a URL computed at run time: file: and ftp: URLs are opened too",
        confidence=Confidence.LOW,
    )


CHECKS: tuple[CallCheck, ...] = (
    CallCheck(
        check_hub_download,
        frozenset({"from_pretrained", "hf_hub_download", "snapshot_download", "load_dataset", "load_dataset_builder"})
        | frozenset({"SentenceTransformer", "CrossEncoder", "load"}),
    ),
    CallCheck(check_archive_extract, frozenset({"extract", "extractall", "unpack_archive", "open"})),
    CallCheck(check_urlopen, frozenset({"urlopen", "urlretrieve", "Request", "URLopener", "FancyURLopener"})),
)
