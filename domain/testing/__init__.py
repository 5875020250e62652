"""Property-testing kit for paycore and the services that embed it (needs paycore[testing]).

- :mod:`paycore.domain.testing.strategies`: hypothesis strategies for valid and invalid
  arguments of every command, and for whole commands with one invalid argument.
- :mod:`paycore.domain.testing.machines`: state machines that drive ``PaymentsCore``
  against a reference model and check paycore's invariants after every step.
"""
