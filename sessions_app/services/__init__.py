"""The only code that changes a session's state. Views, admin, API, webhooks and tasks call these."""

from .conversation import message_send as message_send
from .conversation import rating_create as rating_create
from .digests import mechanics_queue_email_sweep, queue_notices_record
from .factory import session_create
from .first_look import first_look_open, first_looks_open_due
from .jobs import sessions_expire_stale, sessions_promote_due, sessions_release_idle
from .lifecycle import (
    session_accept,
    session_cancel,
    session_complete,
    session_end_by_customer,
    session_expire,
    session_force_end_all,
    session_promote,
    session_release,
    session_start,
)
from .refunds import session_refund
from .reminders import sessions_remind_idle
from .room import attachment_add, presence_update, sessions_flag_absent
from .transfers import (
    transfer_accept,
    transfer_decline,
    transfer_lapse,
    transfer_offer,
    transfer_withdraw,
    transfers_lapse_due,
)
from .waiting import session_keep_waiting, session_wait_ask, session_wait_cancel, sessions_ask_before_expiry

__all__ = [
    "attachment_add",
    "mechanics_queue_email_sweep",
    "queue_notices_record",
    "sessions_remind_idle",
    "first_look_open",
    "first_looks_open_due",
    "presence_update",
    "sessions_flag_absent",
    "session_accept",
    "session_cancel",
    "session_complete",
    "session_create",
    "session_end_by_customer",
    "session_expire",
    "session_force_end_all",
    "session_keep_waiting",
    "session_promote",
    "session_refund",
    "session_release",
    "session_start",
    "session_wait_ask",
    "session_wait_cancel",
    "sessions_ask_before_expiry",
    "sessions_expire_stale",
    "sessions_promote_due",
    "sessions_release_idle",
    "transfer_accept",
    "transfer_decline",
    "transfer_lapse",
    "transfer_offer",
    "transfer_withdraw",
    "transfers_lapse_due",
]
