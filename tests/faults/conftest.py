"""The fault tests print what they measured in the terminal summary, so a run under `-q` shows it."""

import pytest

MEASURED: list[str] = []


@pytest.fixture
def fault_report() -> list[str]:
    return MEASURED


def pytest_terminal_summary(terminalreporter) -> None:
    if MEASURED:
        terminalreporter.section("fault tests: measured")
        for line in MEASURED:
            terminalreporter.write_line(line)
