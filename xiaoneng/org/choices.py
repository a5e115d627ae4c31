from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class UnitKind(models.TextChoices):
    DISTRICT = "district", _("District")
    DEPARTMENT = "department", _("Department")
    TOWN = "town", _("Town")
    SUBDISTRICT = "subdistrict", _("Sub-district")
    SECTION = "section", _("Section")
    OTHER = "other", pgettext_lazy("unit kind", "Other")


class Role(models.TextChoices):
    INTAKE_CLERK = "intake_clerk", _("Intake clerk")
    SUPERVISOR = "supervisor", _("Supervisor")
    OFFICE_DIRECTOR = "office_director", _("Office director")
    UNIT_LIAISON = "unit_liaison", _("Unit liaison")
    HANDLER = "handler", _("Handler")
    UNIT_HEAD = "unit_head", _("Unit head")
    INSPECTOR = "inspector", _("Efficiency supervisor")
    LEADER = "leader", _("Leader")
    SYSTEM_ADMIN = "system_admin", _("System administrator")
    SECURITY_ADMIN = "security_admin", _("Security administrator")
    AUDIT_ADMIN = "audit_admin", _("Audit administrator")


#: Roles of the efficiency office: they see and act on every unit's records.
OFFICE_ROLES = frozenset({Role.INTAKE_CLERK, Role.SUPERVISOR, Role.OFFICE_DIRECTOR})
#: Roles inside a supervised unit: they see and act on their own unit's records.
UNIT_ROLES = frozenset({Role.UNIT_LIAISON, Role.HANDLER, Role.UNIT_HEAD})
#: The three separated administrator duties (三员分立); a person holds at most one of them,
#: never together with a business role, and none of them reads business records.
ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})
#: Roles that see every unit's records without acting on them.
READ_ALL_ROLES = frozenset({Role.LEADER})
