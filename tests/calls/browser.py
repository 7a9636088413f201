"""Reading a page's call from the test: its state and its RTCPeerConnection's stats."""

import time
from collections.abc import Callable
from typing import Any

from customers.models import Customer
from mechanics.models import Mechanic
from sessions_app.models import Session
from sessions_app.services import session_accept, session_start
from tests.factories import make_customer, make_mechanic, make_session, open_assignment

CALL_STATS = """async () => {
  const call = window.AutoDoctor && window.AutoDoctor.call;
  const pc = call && call.pc;
  if (!pc) return { state: call ? call.state : null, connection: null };
  const report = await pc.getStats();
  const out = { state: call.state, connection: pc.connectionState, audioBytes: 0, videoBytes: 0,
                framesDecoded: 0, localType: null, remoteType: null };
  let pairId = null;
  report.forEach((s) => { if (s.type === "transport" && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId; });
  report.forEach((s) => {
    if (s.type !== "inbound-rtp") return;
    if (s.kind === "audio") out.audioBytes += s.bytesReceived || 0;
    if (s.kind === "video") { out.videoBytes += s.bytesReceived || 0; out.framesDecoded += s.framesDecoded || 0; }
  });
  const pair = pairId && report.get(pairId);
  if (pair) {
    out.localType = report.get(pair.localCandidateId).candidateType;
    out.remoteType = report.get(pair.remoteCandidateId).candidateType;
  }
  return out;
}"""


def call_stats(page) -> dict[str, Any]:
    return page.evaluate(CALL_STATS)


def wait_for(page, check: Callable[[dict[str, Any]], bool], *, timeout: float = 60, what: str = "") -> dict:
    """Poll the page's call stats until `check` holds (generous: the machine is shared)."""
    deadline = time.monotonic() + timeout
    stats: dict[str, Any] = {}
    while time.monotonic() < deadline:
        stats = call_stats(page)
        if check(stats):
            return stats
        time.sleep(0.25)
    raise AssertionError(f"call never reached {what or check}: {stats}")


def media_flowing(stats: dict[str, Any]) -> bool:
    return (
        stats.get("connection") == "connected"
        and stats.get("audioBytes", 0) > 0
        and stats.get("videoBytes", 0) > 0
        and stats.get("framesDecoded", 0) > 20
    )


def live_video_session(
    customer: Customer | None = None, mechanic: Mechanic | None = None, *, start: bool = True
) -> tuple[Session, Customer, Mechanic]:
    """A video session with its mechanic, live (or waiting with start=False), through the services."""
    customer = customer or make_customer(credits=3)
    mechanic = mechanic or make_mechanic()
    session = make_session(customer, plan_code="video-30", pay_with="credits")
    session = session_accept(assignment=open_assignment(session), mechanic=mechanic)
    if start:
        session = session_start(session=session, mechanic=mechanic)
    return session, customer, mechanic
