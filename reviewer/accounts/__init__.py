"""Accounts: users, roles, approver groups, passwords, login and its throttling."""
