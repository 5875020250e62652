"""Read models built from the event log, and the audit-trail queries."""
