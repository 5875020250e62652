"""The paycore domain: money, aggregates, rules and the PaymentsCore application."""
