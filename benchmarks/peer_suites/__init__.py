"""The five peers' own test suites as corpora (benchmarks/peer_corpora.py): one module per peer.

Each module has `collect(source, work, peers) -> list[Sample]`: it rebuilds the peer's samples in
`work` from a local copy of the peer's public source (`source`), with the peer's own verdict on each,
and `score(samples, verdicts) -> Row`. Nothing here loads a sample; nbsec reads them statically and
the peers run in their own virtualenv, as their own test suites run them.
"""
