"""Who may change and open what: every state-changing route and every staff page, for every role.

One module per area owns its rows: ``EXPECTED``/``ACTIONS`` (participants and accounts, roles of
:data:`support.ROLES`), ``STAFF_EXPECTED``/``STAFF_ACTIONS`` (staff routes, roles of
:data:`support.STAFF_ROLES`), page matrices named ``*_PAGES`` (GET answers) and its part of the
endpoint table, ``ENDPOINTS``. :mod:`.test_routes` gathers these from every module and fails for
any state-changing route or staff page that no module covers.
"""

import pytest

# The checks in support.py assert: pytest explains their failures as it does in the test modules.
pytest.register_assert_rewrite("tests.authorization.support")
