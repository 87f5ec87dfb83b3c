"""Django's ModelBackend, whose per-request read of the signed-in user brings their groups.

Every team page asks yenni_site.roles whether the reader is an analyst or a lead; that was a
query of its own after the session's user query, on every signed-in request (issue 17: the
brief page under 50 clients). Here the user row and its group names come in one query, read
afresh on every request, so a user taken out of a group is refused on the next one.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Aggregate, CharField

from yenni_site.roles import GROUPS_ATTRIBUTE

# Between group names: a control character no admin types into a name.
SEPARATOR = "\x1f"


class _GroupNames(Aggregate):
    """The group names joined by SEPARATOR (NULL for none): STRING_AGG or SQLite's GROUP_CONCAT."""

    function = "GROUP_CONCAT"
    template = "%(function)s(%(expressions)s, '" + SEPARATOR + "')"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="STRING_AGG", **extra_context)


class UserWithGroupsBackend(ModelBackend):
    def get_user(self, user_id):
        users = get_user_model()._default_manager
        try:
            user = users.annotate(_yenni_group_names=_GroupNames("groups__name")).get(pk=user_id)
        except users.model.DoesNotExist:
            return None
        names = user._yenni_group_names
        # What yenni_site.roles reads before it would query the groups itself.
        setattr(user, GROUPS_ATTRIBUTE, set(names.split(SEPARATOR)) if names else set())
        return user if self.user_can_authenticate(user) else None
