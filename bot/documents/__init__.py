"""SOP documents in the bot: importing files, the library admins control, pictures.

==============  =================================================================
``library``     the rules: which documents are served, and to whom (no Telegram)
``scope``       what the asker of an update is served; every entry point asks here
``service``     the library as the admin sees it: files, steps, versions, lints
``handlers``    /docs: list, take out of service, put back, limit to stores or levels
``render``      /docs texts and keyboards, and the summary of an SOP file sent in
``imports``     an SOP file sent to the bot (admins), /rollback; others' files
``pictures``    a step's pictures, sent when the step is opened whole
==============  =================================================================

The same library is run from the shell with `sopbot docs` (``bot/cli.py``).
"""
