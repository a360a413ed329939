"""The staff home (``/<mode>/staff/``): the projects one may moderate or run, what needs review in each, and the
way to every staff page; for administrators and initiators, the organisations.

It reads both the roles (who runs and moderates what) and the reports (moderation), and moderation reads who
moderates (roles): so the page lives here, on the top floor above both, and roles knows nothing of reports. Its
address and name stay the roles' (``roles.staff``, sent ``no-store`` like every staff page there): :mod:`.views`
adds it to the roles blueprint, and the app factory imports it before registering that blueprint (as privacy's
pages join the accounts blueprint).
"""
