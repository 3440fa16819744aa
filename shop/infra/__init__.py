"""The plumbing: the one way to VdM (box_office, with its catalogue snapshot), security,
the request log, sanitising, and languages and formats."""
