"""How paycore reaches its store: the URL → library settings wiring, and the side tables
the edges (the sync relay, the webhook inbox) keep beside the events."""
