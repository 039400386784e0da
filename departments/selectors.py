"""Reads of departments: who is told about a department's cases."""

from gridmgmt.roles import Role
from notifications.selectors import emails_of, role_recipients

from .models import Department


def department_recipients(department: Department | None) -> list[str]:
    """The department's active staff and its own address; the dispatch center when there is no department."""
    if department is None:
        return role_recipients(Role.DISPATCHER)
    emails = emails_of(department.members.filter(is_active=True))
    if department.email:
        emails.append(department.email)
    return emails
