"""``dancu linked_follow [--follow]``: the name this command had before the apps' consumers were split (issue 14);
the same as ``dancu follow``: start downstream dossiers of linked groups, close the accounts and cancel the cards of
the deceased, each app from its own offset."""

from __future__ import annotations

from dancu.events.management.commands import follow


class Command(follow.Command):
    help = "The same as `dancu follow`: apply new events to every app's event consumer."
