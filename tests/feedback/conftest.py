from tests.helpdesk.conftest import acme, agent, alice, bob, globex, other_agent, ticket  # noqa: F401
