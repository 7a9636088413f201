"""What the schema fuzzer did, counted for the end-of-run summary (tests/api/conftest.py)."""

from collections import Counter
from dataclasses import dataclass, field


def _by_status(counts: Counter[int]) -> str:
    return " ".join(f"{status}:{n}" for status, n in sorted(counts.items()))


@dataclass
class Tally:
    calls: Counter[tuple[str, str, int]] = field(default_factory=Counter)  # (role, operation, status)

    def record(self, *, role: str, operation: str, status: int) -> None:
        self.calls[(role, operation, status)] += 1

    def _statuses(self, *, role: str | None = None, operation: str | None = None) -> Counter[int]:
        counts: Counter[int] = Counter()
        for (r, op, status), n in self.calls.items():
            if role in (None, r) and operation in (None, op):
                counts[status] += n
        return counts

    def summary(self) -> list[str]:
        """One line for the run, one per role; the lead quotes these numbers."""
        every = self._statuses()
        operations = {op for _, op, _ in self.calls}
        server_errors = sum(n for status, n in every.items() if status >= 500)
        lines = [
            f"schemathesis: {len(operations)} operations, {every.total()} calls, "
            f"{server_errors} server errors (5xx); by status {_by_status(every)}"
        ]
        for role in sorted({r for r, _, _ in self.calls}):
            counts = self._statuses(role=role)
            lines.append(f"  as {role}: {counts.total()} calls; {_by_status(counts)}")
        return lines

    def details(self) -> list[str]:
        """Per operation and role (shown with -v)."""
        keys = sorted({(op, r) for r, op, _ in self.calls})
        return [f"  {op} as {r}: {_by_status(self._statuses(role=r, operation=op))}" for op, r in keys]


TALLY = Tally()
