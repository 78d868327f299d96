"""Access control: the reveal service, policy, grants, approvals and gates."""
