"""The adversarial soak run (issue 10): separate OS processes race on a few shared
aggregates, every call's outcome is counted, and the log is checked at the end."""
