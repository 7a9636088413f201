from .tally import TALLY


def pytest_terminal_summary(terminalreporter):
    """The fuzzer's counts: calls per role and status (per operation too with -v)."""
    if not TALLY.calls:
        return
    terminalreporter.section("schemathesis")
    for line in TALLY.summary() + (TALLY.details() if terminalreporter.verbosity > 0 else []):
        terminalreporter.write_line(line)
