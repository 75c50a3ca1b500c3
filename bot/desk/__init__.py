"""The use cases, channel-neutral: tickets, submission, deadlines and surveys (no PTB, no SQL)."""
