"""Personal data on the top floor: the download of one's own data and the erasure of an account.

Both need every domain (comments, reports, blocks, roles, notes, audit entries), so they live above all of
them and ask each for its rows and its forgetting; ``accounts`` (the kernel's identities) knows none of them.
Their pages are the account's (``/account/data.json``, ``/account/delete``): :mod:`.views` adds them to the
accounts blueprint, and the app factory imports it before registering that blueprint.
"""

from .erasure import delete_account
from .export import export

__all__ = ["delete_account", "export"]
