"""Proactive journey signals: tell the customer before they have to ask (issue 7).

models    signal types (admin data), integrations, received events, proactive cases, systemic alerts
api       POST /api/signals/: token per integration, idempotency key per event
engine    one proactive ticket per customer, outreach by the channel matrix, de-duplication
rules     built-in detection rules over Firstline's own data (set-wise SQL)
ladder    the escalation ladder and the systemic alert, as idempotent sweeps
views     the agent's panel on a ticket, systemic alerts, the managers' figures
"""
