"""Property-testing kit for paycore and the services that embed it (needs paycore[testing])."""
