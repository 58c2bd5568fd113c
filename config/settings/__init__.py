"""Settings: ``base`` is the embedded default, ``test`` and ``production`` build on it.

Every value a deployment may change comes from an environment variable; docs/configuration.md
lists them with their defaults.
"""
