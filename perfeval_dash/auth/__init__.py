"""The access room: who may see and change what.

- `roles`: the roles 领导 / 部门 / 编辑 and what each may do, declared once;
- `accounts`: the accounts (login, roles, scope, password hash) from secrets.toml or the file it names, checked;
  the person of a session (`User`) and their scope (domain/scope.py);
- `passwords`: argon2id hashes (argon2-cffi); `ratelimit`: failed logins per account and per address;
- `audit`: the audit log (who, when, what, which snapshot) kept by store/journal.py;
- `gate`: the login gate the frame calls first on every run (built-in login form or Streamlit's OIDC login).

Imports store, domain and settings only; ui and cli import it, never the other way round.
"""
