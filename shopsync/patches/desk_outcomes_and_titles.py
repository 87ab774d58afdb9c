"""Sites installed before the desk stored outcomes as codes and titled imports: their webhook log
entries get a code read from their text (rendered in the user's language from then on) and their
imports a title (site · kind · dates)."""

from shopsync import desk


def execute():
    desk.describe_stored_outcomes()
    desk.title_imports()
