"""The peers' own pickle cases, rebuilt here from their opcodes (never copied, never loaded).

fickling's `test/` asserts `check_safety(...) > LIKELY_SAFE` for its unsafe pickles and LIKELY_SAFE for
its safe ones; nbsec must report each unsafe one at high or critical and no safe one above medium.
One case per cause (denylist gaps, network classes, dotted names, malformed streams, scanner
tampering, nested loads, expansion, self-reference); the bigger corpus is tests/artifact_samples.py.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import nbsec
from nbsec.model import Severity

SEVERE = {Severity.HIGH, Severity.CRITICAL}


def u(text: str) -> bytes:
    data = text.encode()
    return b"\x8c" + bytes([len(data)]) + data


def sg(module: str, name: str) -> bytes:
    return u(module) + u(name) + b"\x93"


def g(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


P4 = b"\x80\x04"
UNSAFE: dict[str, bytes] = {
    "pty_spawn_stack_global": P4 + sg("pty", "spawn") + u("id") + b"\x85R.",
    "pty_spawn_global": g("pty", "spawn") + u("id") + b"\x85R.",
    "marshal_and_types": P4 + sg("marshal", "loads") + b"C\x01\x00\x85R" + sg("types", "FunctionType") + b"\x87R.",
    "runpy_run_path": P4 + sg("runpy", "run_path") + u("/tmp/malicious.py") + b"\x85R.",
    "cprofile_run": P4 + sg("cProfile", "run") + u("print(1)") + b"\x85R.",
    "getattr_ctypes_cdll": P4 + sg("builtins", "getattr") + sg("ctypes", "CDLL") + u("system") + b"\x86R.",
    "pydoc_locate": P4 + sg("pydoc", "locate") + u("os.system") + b"\x85R" + u("id") + b"\x85R.",
    "getattr_importlib": P4 + sg("builtins", "getattr") + sg("importlib", "import_module") + u("x") + b"\x86R.",
    "code_interpreter": P4 + sg("code", "InteractiveInterpreter") + b")R.",
    "multiprocessing_spawnv": P4 + sg("multiprocessing.util", "spawnv_passfds") + u("/bin/sh") + b"\x85R.",
    "builtins_import": g("builtins", "__import__") + u("os") + b"\x85R.",
    "builtins_getattr": g("builtins", "getattr") + u("os") + u("system") + b"\x86R.",
    "builtins_eval": g("builtins", "eval") + u("print('hello')") + b"\x85R.",
    "operator_methodcaller": g("_operator", "methodcaller") + u("system") + u("echo") + b"\x86R.",
    "distutils_write_file": P4 + sg("distutils.file_util", "write_file") + u("/tmp/x") + u("y") + b"\x86R.",
    "io_fileio": P4 + sg("_io", "FileIO") + u("/etc/passwd") + b"\x85R.",
    "numpy_f2py_getlincoef": P4 + sg("numpy.f2py.crackfortran", "getlincoef") + u("x") + b"\x85R.",
    **{
        f"ssrf_{module}": P4 + g(module, cls) + u("127.0.0.1") + b"M\x19\x00\x86R}b."
        for module, cls in (("smtplib", "SMTP"), ("imaplib", "IMAP4"), ("ftplib", "FTP"), ("poplib", "POP3"),
                            ("telnetlib", "Telnet"), ("nntplib", "NNTP"))
    },  # fmt: skip
    "asyncio_subprocess": P4 + sg("asyncio.unix_events", "_UnixSubprocessTransport._start") + b")R.",
    "obj_pop_invisible": P4 + b"(" + sg("smtplib", "SMTP") + u("127.0.0.1") + b"o0N.",
    "uuid_command": P4 + sg("uuid", "_get_command_stdout") + u("echo") + b"\x85R.",
    "aix_support": P4 + sg("_aix_support", "_read_cmd_output") + u("echo") + b"\x85R.",
    "osx_support": P4 + sg("_osx_support", "_find_build_tool") + u("x; echo #") + b"\x85R.",
    "dotted_pathlib_os": P4 + sg("pathlib", "os.system") + u("id") + b"\x85R.",
    "ast_parse": P4 + sg("ast", "parse") + u("1") + b"\x85R.",
    "interpreters_create": P4 + sg("_interpreters", "create") + b")R.",
    "future_dotted": P4 + sg("__future__", "_ssl.RAND_bytes") + b".",
    **{f"ml_{m}": P4 + g(m, "dangerous") + b")R." for m in ("torch.hub", "torch._dynamo", "torch._inductor",
                                                            "torch.jit", "torch.compile", "numpy.f2py",
                                                            "numpy.distutils")},  # fmt: skip
    "torch_load": P4 + g("torch", "load") + b")R.",
    "torch_compile": P4 + g("torch", "compile") + b")R.",
    "load_from_bytes_no_bytes": P4 + g("torch.storage", "_load_from_bytes") + b")R.",
    "config_module": P4 + g("torch.utils._config_module", "ConfigModule") + b")R.",
    "basichandlers": P4 + g("torch.distributed.elastic.rendezvous.api", "basichandlers") + b")R.",
    "numpy_runstring": P4 + g("numpy.testing._private.utils", "runstring") + b")R.",
    "missing_mark_before_tuple": b"\x80\x04t.",
    "scanner_remove_hook": P4 + sg("fickling.hook", "remove_hook") + b")R.",
    "scanner_deactivate_global": g("fickling.hook", "deactivate_safe_ml_environment") + b")R.",
    **{f"scanner_{m}": P4 + sg(m, "some_func") + b")R." for m in ("fickling", "picklescan", "modelscan",
                                                                  "model_unpickler", "saferpickle", "modelaudit")},
    "memo_expansion_60": P4 + b"]\x94" + b"h\x00a" * 60 + b".",
    "memo_expansion_200": P4 + b"]\x94" + b"h\x00a" * 200 + b".",
    "dup_expansion_150": P4 + b"]" + b"2" * 150 + b".",
    "dict_key_cycle": b"\x80\x02}\x94h\x00" + u("value") + b"s.",
    "set_cycle": P4 + b"\x8f\x94(h\x00\x90.",
    "duplicate_proto": pickle.dumps([1, 2, 3, 4])[:-1] + b"\x80\x01\x80\x02.",
}  # fmt: skip
SAFE: dict[str, bytes] = {
    "builtins_len": g("builtins", "len") + b"]\x85R.",
    "builtins_dict": g("builtins", "dict") + b")R.",
    "ordered_dict": P4 + sg("collections", "OrderedDict") + b")R.",
    "codecs_encode_import": P4 + sg("_codecs", "encode") + b".",
    "future_annotations": P4 + sg("__future__", "annotations") + b".",
    "list_range": pickle.dumps(list(range(100))),
    "plain_list": pickle.dumps([1, 2, 3, 4]),
    "cyclic_list": P4 + b"]\x94h\x00a.",
    "cyclic_dict_value": b"\x80\x02}\x94" + u("self") + b"h\x00s.",
}


@pytest.mark.parametrize("name", sorted(UNSAFE))
def test_fickling_unsafe_cases_are_high_or_critical(name: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.pkl"
    path.write_bytes(UNSAFE[name])
    report = nbsec.scan(path)
    loud = [f for f in report.findings if f.severity in SEVERE]
    assert loud, f"{name}: " + "; ".join(f"{f.rule_id} {f.severity.value} {f.evidence}" for f in report.findings)


@pytest.mark.parametrize("name", sorted(SAFE))
def test_fickling_safe_cases_are_not_severe(name: str, tmp_path: Path) -> None:
    data = SAFE[name]
    path = tmp_path / f"{name}.pkl"
    path.write_bytes(data)
    report = nbsec.scan(path)
    assert not [f for f in report.findings if f.severity in SEVERE], [f.evidence for f in report.findings]
    assert report.errors == []
